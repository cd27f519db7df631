import Detector
import Sniffer
import Testing

/// None of the peers' captures (ordinary traffic from four test suites) is interception: with the
/// built-in indicators, `known-interception-ca` must not fire on any of them.
@Suite struct NoFalseInterceptionAlertsTests {
    @Test func noKnownInterceptionAlertOnThePeerCorpus() throws {
        let corpus = try PeerCorpus.load()
        let indicators = IndicatorSet.builtIn()
        var fired: [String] = []
        var sessions = 0
        for capture in corpus.captures {
            let file = try PcapFile(path: corpus.root + "/" + capture.file)
            var pipeline = Pipeline(observer: DetectionObserver(indicators: indicators) { report in
                sessions += 1
                for finding in report.findings where finding.rule == .knownInterceptionCA {
                    fired.append("\(capture.file) \(report.session.server.description): \(finding.matchType?.rawValue ?? "")")
                }
            })
            _ = file.forEachPacket { frame, length, time, linkType in
                pipeline.process(frame: frame, originalLength: length, linkType: linkType, at: time)
            }
            pipeline.finish()
        }
        #expect(sessions > 700)
        #expect(fired.isEmpty, "\(fired)")
    }
}
