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

    /// The history rules learn from the whole corpus read in file order into one history (as
    /// `read --state` over every capture would) and stay quiet: the peers' captures are ordinary
    /// traffic, recorded over years, to the same test servers.
    @Test func theHistoryRulesStayQuietOnThePeerCorpus() throws {
        let corpus = try PeerCorpus.load()
        var configuration = DetectionConfiguration(indicators: IndicatorSet.builtIn())
        configuration.history = HistoryRules(book: HistoryBook(), settings: HistorySettings())
        var fired: [String] = []
        var sessions = 0
        for capture in corpus.captures {
            let file = try PcapFile(path: corpus.root + "/" + capture.file)
            var pipeline = Pipeline(observer: DetectionObserver(rules: RuleSet(configuration)) { report in
                sessions += 1
                for finding in report.findings where [.issuerChange, .tlsDowngrade, .serverProfileChange].contains(finding.rule) {
                    fired.append("\(capture.file) \(report.session.serverName ?? report.session.server.description): "
                        + "\(finding.rule.rawValue) \(finding.detail ?? "")")
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
