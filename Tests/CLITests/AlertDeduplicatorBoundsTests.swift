@testable import Daemon
import Detector
import Sniffer
import TestSupport
import Testing

/// The deduplicator's keys hold strings from the network; its memory must not follow their size.
@Suite struct AlertDeduplicatorBoundsTests {
    @Test func longKeyStringsAreCompacted() {
        let long = String(repeating: "a", count: 100_000)
        let compacted = AlertDeduplicator.compact(long)
        #expect((compacted?.utf8.count ?? .max) < 100)
        #expect(compacted == AlertDeduplicator.compact(long))
        #expect(compacted != AlertDeduplicator.compact(long + "b"))
        #expect(AlertDeduplicator.compact("www.bank.example") == "www.bank.example")
        #expect(AlertDeduplicator.compact(nil) == nil)
    }

    @Test func anAlertWithAHugeServerNameIsStillDeduplicated() throws {
        // A ClientHello may carry a 60,000-byte server name; the session keeps its first 255
        // bytes (no DNS name is longer) and the hello is marked malformed.
        let chain = try TLSBytes.indicatorCertificates(1)
        let name = String(repeating: "x", count: 60_000) + ".example"
        var reports: [SessionReport] = []
        for port in UInt16(51000)..<51002 {
            var script = SegmentScript()
            script.client.1 = port
            script.handshake()
            script.segments += script.cut(TLSBytes.records(22, TLSBytes.clientHello(sni: name)), fromClient: true, size: 1460)
            script.segments += script.cut(TLSBytes.record(22, TLSBytes.serverHello() + TLSBytes.certificate(chain)
                                                          + TLSBytes.serverHelloDone), fromClient: false, size: 1460)
            final class Collected { var reports: [SessionReport] = [] }
            let collected = Collected()
            var pipeline = Pipeline(observer: DetectionObserver(indicators: IndicatorSet.builtIn()) { collected.reports.append($0) })
            script.play(into: &pipeline)
            reports += collected.reports
        }
        #expect(reports.count == 2)
        let first = try #require(reports.first)
        #expect(first.session.serverName?.utf8.count == 255)
        #expect(first.session.clientHellos.first?.isMalformed == true)
        let finding = try #require(first.findings.first { $0.rule == .knownInterceptionCA })
        var deduplicator = AlertDeduplicator(windowSeconds: 3600)
        #expect(deduplicator.admit(finding, first.session).emit)
        #expect(!deduplicator.admit(finding, first.session).emit)
        #expect(deduplicator.suppressedTotal == 1)
    }
}
