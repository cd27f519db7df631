import Foundation
import Sniffer
import Testing
import TestSupport
import Wire
@testable import Detector
@testable import Output
import Certificates

/// Every record the new writer makes is, byte for byte, the line the previous writer made
/// (kept in LegacyRecords.swift as the oracle), and parses as JSON.
@Suite struct RecordOracleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var captures: [String] {
        let fixtures = root.appendingPathComponent("Tests/SnifferTests/Fixtures")
        var paths = [root.appendingPathComponent("samples/demo.pcap").path]
        for directory in ["real", "decode"] {
            let path = fixtures.appendingPathComponent(directory).path
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            paths += names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted().map { path + "/" + $0 }
        }
        return paths
    }

    /// Detection as `read --untrusted-scope all` runs it (so untrusted-chain fires too).
    static func observer(_ indicators: IndicatorSet, _ onReport: @escaping (SessionReport) -> Void) throws -> DetectionObserver {
        let configuration = DetectionConfiguration(
            indicators: indicators, trustStore: try TrustStore(path: nil),
            untrustedChain: .init(scope: .all, publicSuffixes: try PublicSuffixList.system(), allowList: InspectionAllowList()),
            missingSCT: true)
        return DetectionObserver(rules: RuleSet(configuration), onReport: onReport)
    }

    static func reports(_ path: String, indicators: IndicatorSet) throws -> [SessionReport] {
        let file = try PcapFile(path: path)
        var reports: [SessionReport] = []
        var pipeline = Pipeline(observer: try observer(indicators) { reports.append($0) })
        _ = file.forEachPacket { frame, length, time, linkType in
            pipeline.process(frame: frame, originalLength: length, linkType: linkType, at: time)
        }
        pipeline.finish()
        return reports
    }

    static func parses(_ line: [UInt8]) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(line))) is [String: Any]
    }

    /// Checks every session and alert record of `reports` against the oracle; returns the counts.
    static func check(_ reports: [SessionReport], indicators: IndicatorSet, source: String) -> (sessions: Int, alerts: Int) {
        var json = JSONBuffer()
        var alerts = 0
        for report in reports {
            for verdict in [nil, report.verdict] {
                json.removeAll()
                SessionRecord.write(report.session, verdict: verdict, into: &json)
                let expected = LegacySessionRecord.json(report.session, verdict: verdict) + "\n"
                #expect(String(decoding: json.bytes, as: UTF8.self) == expected, "\(source): session \(report.session.id)")
                #expect(parses(json.bytes))
            }
            json.removeAll()
            SessionRecord.write(report, into: &json)
            #expect(String(decoding: json.bytes, as: UTF8.self)
                    == LegacySessionRecord.json(report.session, verdict: report.verdict) + "\n", "\(source): session \(report.session.id)")
            for finding in report.findings {
                #expect(AlertText.message(finding, in: report, indicators: indicators)
                        == LegacyAlertText.message(finding, in: report, indicators: indicators))
                // Twice each: the second alert about the leaf copies its cached x509 member.
                for (includeChain, suppressed) in [(false, 0), (true, 3), (false, 1)] {
                    json.removeAll()
                    AlertRecord.write(finding, report: report, indicators: indicators, includeChain: includeChain,
                                      suppressedBefore: suppressed, into: &json)
                    let expected = LegacyAlertRecord.json(finding, report: report, indicators: indicators,
                                                          includeChain: includeChain, suppressedBefore: suppressed) + "\n"
                    #expect(String(decoding: json.bytes, as: UTF8.self) == expected, "\(source): \(finding.rule) in session \(report.session.id)")
                    #expect(parses(json.bytes))
                }
                alerts += 1
            }
        }
        return (reports.count, alerts)
    }

    @Test func recordsOfTheTestCapturesAreThePreviousWritersBytes() throws {
        let indicators = IndicatorSet.builtIn()
        var sessions = 0, alerts = 0, withX509 = 0
        for path in Self.captures {
            let reports = try Self.reports(path, indicators: indicators)
            let counts = Self.check(reports, indicators: indicators, source: path)
            sessions += counts.sessions
            alerts += counts.alerts
            withX509 += reports.filter { !$0.findings.isEmpty && !$0.serverChainDER.isEmpty }.count
        }
        #expect(Self.captures.count >= 10)
        #expect(sessions >= 12)
        #expect(alerts >= 4)
        #expect(withX509 >= 2)
    }

    /// The leaf's x509 fields of every generated test certificate (odd dates, names, string types,
    /// SANs, algorithms) — as an alert writes them — are the previous writer's.
    @Test func leafFieldsOfEveryTestCertificate() throws {
        let directory = Self.root.appendingPathComponent("Tests/X509Tests/Fixtures/generated").path
        var checked = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() where name.hasSuffix(".der") {
            let der = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
            guard let view = try? CertificateView(der: der.span) else { continue }
            let description = CertificateDescription(view)
            // The previous date formatter overflowed past 2262 (see certificateDatesForEveryYear).
            guard abs(description.notBefore) < 9_000_000_000 && abs(description.notAfter) < 9_000_000_000 else { continue }
            var legacy = JSONObjectWriter()
            legacy.object("x509") { LegacyAlertRecord.x509(&$0, description) }
            for cached in [false, true] {
                var json = JSONBuffer()
                json.beginRecord()
                let known = cached ? CertificateCache.examine(der.span) : nil
                LeafCertificateFields.write(view, subjectName: known?.subjectName, issuerName: known?.issuerName, into: &json)
                json.endRecord()
                #expect(String(decoding: json.bytes, as: UTF8.self) == legacy.finished + "\n", "\(name)")
                #expect(Self.parses(json.bytes), "\(name)")
            }
            var record = JSONBuffer()
            CertificateRecord.write(description, path: name, location: "DER", into: &record)
            #expect(String(decoding: record.bytes, as: UTF8.self)
                    == LegacyCertificateRecord.json(description, path: name, location: "DER") + "\n", "\(name)")
            #expect(Self.parses(record.bytes), "\(name)")
            checked += 1
        }
        #expect(checked >= 50)
    }

    @Test func emptyObjectsAreLeftOutAtEveryDepth() {
        var json = JSONBuffer()
        json.beginRecord()
        json.field("a", 1)
        json.beginObject("empty")
        json.beginObject("inner")
        json.field("nothing", nil as String?)
        json.endObject()
        json.endObject()
        json.beginObject("kept")
        json.beginObject("gone")
        json.endObject()
        json.field("b", true)
        json.endObject()
        json.beginArray("list")
        json.beginObjectElement()
        json.endObject()
        json.endArray()
        json.endRecord()
        #expect(String(decoding: json.bytes, as: UTF8.self) == #"{"a":1,"kept":{"b":true},"list":[{}]}"# + "\n")
        var first = JSONBuffer()
        first.beginRecord()
        first.beginObject("gone")
        first.endObject()
        first.field("x", "y")
        first.endRecord()
        #expect(String(decoding: first.bytes, as: UTF8.self) == #"{"x":"y"}"# + "\n")
    }
}

/// Sessions and alerts whose server names and certificate names are hostile bytes.
@Suite struct HostileRecordTests {
    @Test func hostileNamesComeOutValidEscapedAndAsBefore() throws {
        let kit = try OpenSSLKit()
        let frames = HostileCapture.frames(chain: try HostileCapture.chain(kit: kit))
        let indicators = IndicatorSet.builtIn()
        var reports: [SessionReport] = []
        var pipeline = Pipeline(observer: try RecordOracleTests.observer(indicators) { reports.append($0) })
        for (index, frame) in frames.enumerated() {
            pipeline.process(frame: frame.span, originalLength: frame.count, linkType: .raw,
                             at: Timestamp(seconds: 1_700_000_000, nanoseconds: Int64(index) * 1000))
        }
        pipeline.finish()
        #expect(reports.count == HostileCapture.serverNames.count)
        let counts = RecordOracleTests.check(reports, indicators: indicators, source: "hostile")
        #expect(counts.alerts >= HostileCapture.serverNames.count)

        var json = JSONBuffer()
        for report in reports {
            SessionRecord.write(report.session, verdict: report.verdict, into: &json)
            for finding in report.findings {
                AlertRecord.write(finding, report: report, indicators: indicators, includeChain: true, suppressedBefore: 0, into: &json)
            }
        }
        #expect(String(validating: json.bytes, as: UTF8.self) != nil)
        var names: Set<String> = []
        var commonNames: [String] = []
        for line in json.bytes.split(separator: UInt8(ascii: "\n")) {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            let tls = record["tls"] as? [String: Any]
            if let name = (tls?["client"] as? [String: Any])?["server_name"] as? String { names.insert(name) }
            let x509 = (tls?["server"] as? [String: Any])?["x509"] as? [String: Any]
            if let cns = (x509?["subject"] as? [String: Any])?["common_name"] as? [String] { commonNames = cns }
        }
        #expect(names == Set(HostileCapture.serverNames.map { String(decoding: $0, as: UTF8.self) }))
        #expect(commonNames.count == 3)
        #expect(commonNames.first == String(decoding: HostileCapture.patches[0].bytes, as: UTF8.self))
        #expect(commonNames.dropFirst().first == "\u{FFFD}A\u{FFFD}😀\"\0\u{2028}\\\u{7f}")
        #expect(commonNames.last == "\u{FFFD}\u{FFFD}\n😀\"")
    }
}
