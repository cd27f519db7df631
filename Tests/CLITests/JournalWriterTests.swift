@testable import Daemon
import Detector
import Foundation
import Sniffer
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The native-protocol encoding, the alert and operational entries, and sending to sockets that
/// are there, gone or stale.
@Suite struct JournalWriterTests {
    @Test func encodesPlainAndBinaryFields() {
        let bytes = JournalWriter.encode([("MESSAGE", "hello"), ("MULTI", "a\nb"), ("EMPTY", "")])
        let expected = Array("MESSAGE=hello\nMULTI\n".utf8) + [3, 0, 0, 0, 0, 0, 0, 0] + Array("a\nb\nEMPTY=\n".utf8)
        #expect(bytes == expected)
    }

    @Test func dropsInvalidFieldNames() {
        let bytes = JournalWriter.encode([("_PID", "1"), ("lower", "x"), ("9LIVES", "x"), ("A=B", "x"), ("", "x"),
                                          (String(repeating: "A", count: 65), "x"), ("OK_1", "y")])
        #expect(bytes == Array("OK_1=y\n".utf8))
    }

    @Test func fieldNameRules() {
        for valid in ["MESSAGE", "MITMWATCH_LEAF_SHA256", "A", "X9_", String(repeating: "Z", count: 64)] {
            #expect(JournalFields.isValidName(valid), "\(valid)")
        }
        for invalid in ["", "_HIDDEN", "1ST", "message", "WITH-DASH", "ÄB", String(repeating: "Z", count: 65)] {
            #expect(!JournalFields.isValidName(invalid), "\(invalid)")
        }
        #expect(JournalFields.sanitizedName("interface-name") == "INTERFACE_NAME")
        #expect(JournalFields.sanitizedName("_x") == "X_X")
        #expect(JournalFields.sanitizedName("2nd") == "X2ND")
        #expect(JournalFields.sanitizedName("") == "X")
        for raw in ["interface-name", "_x", "2nd", "", "é", String(repeating: "a", count: 80)] {
            #expect(JournalFields.isValidName(JournalFields.sanitizedName(raw)), "\(raw)")
        }
    }

    @Test func messageIDsAreDistinct128BitIDs() {
        let ids = JournalMessageID.all
        #expect(ids.count == Rule.allCases.count + 8)
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.utf8.count == 32 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }, "\(id)")
        }
    }

    @Test func prioritiesFollowSeverity() {
        #expect(Rule.allCases.map { JournalPriority.of($0.severity) } == [2, 4, 3, 3, 4, 6, 6, 4, 3, 5])
        #expect([Rule.Severity.critical, .high, .medium, .low, .informational].map(JournalPriority.of) == [2, 3, 4, 5, 6])
    }

    @Test func alertFieldsDescribeTheFinding() throws {
        let alert = try AlertFixture.make()
        let fields = JournalWriter.alertFields(alert.finding, report: alert.report, indicators: alert.indicators)
        for (name, _) in fields { #expect(JournalFields.isValidName(name), "\(name)") }
        #expect(Set(fields.map(\.0)).count == fields.count)
        let values = Dictionary(fields, uniquingKeysWith: { first, _ in first })
        #expect(values["MESSAGE"] == AlertText.message(alert.finding, in: alert.report, indicators: alert.indicators))
        #expect(values["PRIORITY"] == "2")
        #expect(values["MESSAGE_ID"] == "4d3e25f0aa7f4f8babe9fb916a7cbd19")
        #expect(values["SYSLOG_IDENTIFIER"] == "mitmwatch")
        #expect(values["MITMWATCH_RULE"] == "known-interception-ca")
        #expect(values["MITMWATCH_SEVERITY"] == "critical")
        #expect(values["MITMWATCH_SNI"] == AlertFixture.serverName)
        #expect(values["MITMWATCH_SERVER"] == "192.0.2.1:443")
        #expect(values["MITMWATCH_CLIENT"] == "10.0.0.1:50000")
        #expect(values["MITMWATCH_LEAF_SHA256"] == alert.chainSHA256.first)
        #expect(values["MITMWATCH_CHAIN_SHA256"] == alert.chainSHA256.joined(separator: " "))
        #expect(values["MITMWATCH_INDICATOR"] == alert.finding.indicator.map { alert.indicators.indicators[$0].id })
        #expect(values["MITMWATCH_INDICATOR"] != nil)
        #expect(values["MITMWATCH_MATCH_TYPE"] == alert.finding.matchType?.rawValue)
        #expect(values["MITMWATCH_SESSION_ID"] == String(alert.report.session.id))
        #expect(values["MITMWATCH_VERDICT"] == alert.report.verdict.joined(separator: " "))
    }

    @Test func operationalFieldsCarryTheirMessageID() {
        let fields = JournalWriter.operationalFields(message: "capture started on eth0", priority: JournalPriority.notice,
                                                     messageID: JournalMessageID.started,
                                                     extra: [("MITMWATCH_INTERFACE", "eth0")])
        #expect(fields.map(\.0) == ["MESSAGE", "PRIORITY", "MESSAGE_ID", "SYSLOG_IDENTIFIER", "MITMWATCH_INTERFACE"])
        #expect(fields.map(\.1) == ["capture started on eth0", "5", JournalMessageID.started, "mitmwatch", "eth0"])
        let plain = JournalWriter.operationalFields(message: "x", priority: 99, messageID: nil)
        #expect(plain.map(\.0) == ["MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER"])
        #expect(plain[1].1 == "7")
    }

    @Test func sendsOneDatagramToTheSocket() throws {
        let receiver = try DatagramReceiver(name: DatagramReceiver.temporaryPath())
        let writer = JournalWriter(socketPath: receiver.name)
        #expect(writer.isAvailable)
        let fields = [("MESSAGE", "two\nlines"), ("PRIORITY", "6")]
        #expect(writer.send(fields))
        #expect(writer.lastTransport == .datagram)
        #expect(writer.lastError == 0)
        #expect(receiver.receiveBytes() == JournalWriter.encode(fields))
    }

    @Test func anAbsentOrStaleSocketFailsWithoutCrashing() throws {
        let absent = JournalWriter(socketPath: "/nonexistent-mitmwatch/journal/socket")
        #expect(!absent.isAvailable)
        #expect(!absent.send([("MESSAGE", "lost")]))
        #expect(absent.lastError == ENOENT)

        let receiver = try DatagramReceiver(name: DatagramReceiver.temporaryPath())
        receiver.closeLeavingFile()
        let stale = JournalWriter(socketPath: receiver.name)
        #expect(FileManager.default.fileExists(atPath: receiver.name))
        #expect(!stale.isAvailable)
        #expect(!stale.send([("MESSAGE", "lost")]))
        #expect(stale.lastError == ECONNREFUSED)
        #expect(stale.lastTransport == nil)
    }

    @Test func stderrJournalDetectionComparesDeviceAndInode() throws {
        let path = NSTemporaryDirectory() + "mitmwatch-stream-\(UUID().uuidString)"
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        defer { try? handle.close() }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let device = try #require((attributes[.systemNumber] as? NSNumber)?.uint64Value)
        let inode = try #require((attributes[.systemFileNumber] as? NSNumber)?.uint64Value)
        let fd = handle.fileDescriptor
        #expect(JournalWriter.isStderrJournal(environment: ["JOURNAL_STREAM": "\(device):\(inode)"], fileDescriptor: fd))
        #expect(!JournalWriter.isStderrJournal(environment: ["JOURNAL_STREAM": "\(device):\(inode + 1)"], fileDescriptor: fd))
        #expect(!JournalWriter.isStderrJournal(environment: ["JOURNAL_STREAM": "\(device)"], fileDescriptor: fd))
        #expect(!JournalWriter.isStderrJournal(environment: ["JOURNAL_STREAM": "x:y"], fileDescriptor: fd))
        #expect(!JournalWriter.isStderrJournal(environment: [:], fileDescriptor: fd))
        #expect(!JournalWriter.isStderrJournal(environment: ["JOURNAL_STREAM": "\(device):\(inode)"], fileDescriptor: -1))
    }
}

/// A real known-interception-ca finding: two certificates of the shared indicator data served in
/// a crafted TLS session, through the sniffer's pipeline and the detection observer.
struct AlertFixture {
    static let serverName = "www.intercepted.example"
    let finding: Finding
    let report: SessionReport
    let indicators: IndicatorSet
    let chainSHA256: [String]

    static func make() throws -> AlertFixture {
        let chain = try TLSBytes.indicatorCertificates(2)
        var script = SegmentScript()
        script.handshake()
        let client = TLSBytes.record(22, TLSBytes.clientHello(sni: serverName))
        let server = TLSBytes.record(22, TLSBytes.serverHello() + TLSBytes.certificate(chain) + TLSBytes.serverHelloDone)
        script.segments += script.cut(client, fromClient: true, size: 1460)
        script.segments += script.cut(server, fromClient: false, size: 1460)
        final class Collected { var reports: [SessionReport] = [] }
        let collected = Collected()
        let indicators = IndicatorSet.builtIn()
        var pipeline = Pipeline(observer: DetectionObserver(indicators: indicators) { collected.reports.append($0) })
        script.play(into: &pipeline, startingAt: 1_700_000_000)
        let report = try #require(collected.reports.first { $0.findings.contains { $0.rule == .knownInterceptionCA } })
        let finding = try #require(report.findings.first { $0.rule == .knownInterceptionCA && $0.indicator != nil })
        return AlertFixture(finding: finding, report: report, indicators: indicators,
                            chainSHA256: try chain.map(TLSBytes.opensslSHA256))
    }
}
