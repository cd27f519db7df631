import Certificates
import Detector
import Foundation
import Sniffer
import TestSupport
import Testing

/// The detection seam: malformed chains are reported as malformed, never as interception; a
/// chain fetched by mitmwatch itself goes through exactly the same rules as a captured one.
@Suite struct SeamTests {
    /// Every rule on: indicators (built in), untrusted-chain for every name, pins, missing-sct.
    static func configuration(_ pki: ChainRuleTests.PKI, pins: [PinMismatchRule.Pin]? = nil) throws -> DetectionConfiguration {
        DetectionConfiguration(
            indicators: IndicatorSet.builtIn(), trustStore: try TrustStore(path: pki.storeDirectory),
            untrustedChain: .init(scope: .all, publicSuffixes: try PublicSuffixList.system(), allowList: InspectionAllowList()),
            pins: pins, missingSCT: true)
    }

    /// One TLS 1.2 session for www.bank.example whose server sends `chain`, through the real
    /// pipeline; the reports and the pipeline's counters.
    static func passive(_ chain: [[UInt8]], _ configuration: DetectionConfiguration) -> ([SessionReport], Counters) {
        var script = SegmentScript()
        script.handshake()
        let client = TLSBytes.record(22, TLSBytes.clientHello(sni: "www.bank.example"))
        let server = TLSBytes.record(22, TLSBytes.serverHello() + TLSBytes.certificate(chain) + TLSBytes.serverHelloDone)
        script.segments += script.cut(client, fromClient: true, size: 1460)
        script.segments += script.cut(server, fromClient: false, size: 1460)
        final class Collected { var reports: [SessionReport] = [] }
        let collected = Collected()
        var pipeline = Pipeline(observer: DetectionObserver(rules: RuleSet(configuration)) { collected.reports.append($0) })
        script.play(into: &pipeline, startingAt: Int64(Date().timeIntervalSince1970) + 60)
        return (collected.reports, pipeline.counters)
    }

    static let garbage: [UInt8] = [0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x00]

    @Test func garbageCertificateIsMalformedNotUntrusted() throws {
        let pki = try ChainRuleTests.PKI()
        let (reports, counters) = Self.passive([Self.garbage], try Self.configuration(pki))
        let report = try #require(reports.first)
        #expect(report.verdict == ["malformed-chain"])
        #expect(report.findings.first?.rule.severity == .informational)
        #expect(report.session.serverChain?.unparsablePositions == [0])
        #expect(counters[.malformedChains] == 1)
        guard case .malformed(let malformed)? = report.findings.first?.evidence else {
            Issue.record("expected malformed evidence")
            return
        }
        #expect(malformed.unparsable.first?.error != nil)
    }

    @Test func garbageIntermediateBehindAGoodLeafIsMalformedNotUntrusted() throws {
        let pki = try ChainRuleTests.PKI()
        let (reports, counters) = Self.passive([try pki.kit.der("leaf"), Self.garbage], try Self.configuration(pki))
        #expect(reports.first?.verdict == ["malformed-chain"])
        #expect(reports.first?.session.serverChain?.unparsablePositions == [1])
        #expect(counters[.malformedChains] == 1)
    }

    @Test func zeroLengthCertificateListIsMalformedNotUntrusted() throws {
        let pki = try ChainRuleTests.PKI()
        let (reports, counters) = Self.passive([], try Self.configuration(pki))
        #expect(reports.first?.verdict == ["malformed-chain"])
        #expect(reports.first?.findings.first?.reasons == ["empty-chain"])
        #expect(counters[.malformedChains] == 1)
    }

    @Test func indicatorDigestsStillMatchInAMalformedChain() throws {
        let pki = try ChainRuleTests.PKI()
        let set = IndicatorSet.builtIn()
        let qaznet = set.matching(sha256: "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2")[0]
        let root = try #require(set.indicators[qaznet].certificateDER)
        let (reports, _) = Self.passive([Self.garbage, root], try Self.configuration(pki))
        #expect(reports.first?.verdict == ["known-interception-ca", "malformed-chain"])
        #expect(reports.first?.findings.first { $0.rule == .knownInterceptionCA }?.position == 1)
    }

    /// The same chains judged as captured and as fetched (`RuleSet.judgeFetched`, what a probe
    /// uses): the same findings, rule for rule and evidence for evidence.
    @Test func aFetchedChainGoesThroughTheSameRules() throws {
        let pki = try ChainRuleTests.PKI()
        let other = try ChainRuleTests.PKI()
        let set = IndicatorSet.builtIn()
        let qaznet = set.matching(sha256: "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2")[0]
        let pin = PinMismatchRule.Pin(names: ["www.bank.example"], spkiSHA256: [String(repeating: "0", count: 64)], note: "bank")
        let chains: [[[UInt8]]] = [
            [try pki.kit.der("leaf")],                                   // missing-sct, pin-mismatch
            [try other.kit.der("leaf")],                                 // untrusted-chain, pin-mismatch
            [try pki.kit.der("leaf"), try #require(set.indicators[qaznet].certificateDER)],
            [Self.garbage],
            [],
        ]
        let configuration = try Self.configuration(pki, pins: [pin])
        var judged = 0
        for chain in chains {
            let (reports, _) = Self.passive(chain, configuration)
            let captured = try #require(reports.first)
            var rules = RuleSet(configuration)
            var cache = CertificateCache()
            let fetched = rules.judgeFetched(chain, session: captured.session, at: captured.session.end, cache: &cache)
            #expect(fetched == captured.findings, "chain of \(chain.count)")
            #expect(!fetched.isEmpty)
            judged += 1
        }
        #expect(judged == chains.count)
    }

    /// A reload replaces the rule set while a session waits for its end: the findings it drew
    /// are judged at its end by the kind of rule that made them, not by whatever rule now sits
    /// at the same place in the new set (there, missing-sct, which would have dropped an
    /// untrusted-chain finding because the ServerHello carried an SCT).
    @Test func findingsInFlightSurviveAReload() throws {
        let pki = try ChainRuleTests.PKI()
        let other = try ChainRuleTests.PKI()  // its leaf does not validate to `pki`'s root
        let suffixes = try PublicSuffixList.system()
        let before = DetectionConfiguration(
            indicators: IndicatorSet(), trustStore: try TrustStore(path: pki.storeDirectory),
            untrustedChain: .init(scope: .all, publicSuffixes: suffixes, allowList: InspectionAllowList()))
        let after = DetectionConfiguration(indicators: IndicatorSet(), trustStore: try TrustStore(path: pki.storeDirectory),
                                           missingSCT: true)
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(TLSBytes.record(22, TLSBytes.clientHello(sni: "www.bank.example")),
                                      fromClient: true, size: 1460)
        let flight = TLSBytes.record(22, TLSBytes.serverHello(scts: [[UInt8](repeating: 7, count: 40)])
                                        + TLSBytes.certificate([try other.kit.der("leaf")]))
        script.segments += script.cut(flight, fromClient: false, size: 1460)
        let done = script.cut(TLSBytes.record(22, TLSBytes.serverHelloDone), fromClient: false, size: 1460,
                              startOffset: flight.count)
        final class Collected { var reports: [SessionReport] = [] }
        let collected = Collected()
        var pipeline = Pipeline(observer: DetectionObserver(rules: RuleSet(before)) { collected.reports.append($0) })
        let start = Int64(Date().timeIntervalSince1970) + 60
        func play(_ segments: [SegmentScript.Segment], from index: Int) {
            for (offset, segment) in segments.enumerated() {
                let bytes = script.frame(segment)
                pipeline.process(frame: bytes.span, originalLength: bytes.count, linkType: .raw,
                                 at: Timestamp(seconds: start, nanoseconds: Int64(index + offset) * 1000))
            }
        }
        play(script.segments, from: 0)
        #expect(collected.reports.isEmpty)
        pipeline.observer.rules = RuleSet(after)
        play(done, from: script.segments.count)
        pipeline.finish()
        #expect(collected.reports.count == 1)
        #expect(collected.reports.first?.verdict == ["untrusted-chain"])
    }
}
