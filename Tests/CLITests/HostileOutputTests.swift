import Foundation
import Testing
import TestSupport

/// `mitmwatch read --format json` over sessions whose server names and certificate names are
/// hostile bytes: every line is valid UTF-8 JSON for python3's parser, and the names read back
/// as `String(decoding:)` of the bytes sent.
@Suite struct HostileOutputTests {
    /// Runs python3 with `script` on `input`; its exit status and stdout.
    static func python(_ script: String, input: Data) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    @Test func everyLineParsesAndNamesReadBack() throws {
        let kit = try OpenSSLKit()
        let capture = kit.path("hostile.pcap")
        let chain = try HostileCapture.chain(kit: kit)
        try Data(HostileCapture.pcap(HostileCapture.frames(chain: chain))).write(to: URL(fileURLWithPath: capture))

        let result = try ReadCommandTests.run(["read", "--format", "json", "--events", "all", "--untrusted-scope", "all",
                                               "--certificate-chain", "--quiet", capture])
        #expect(result.status == 0)
        let stdout = Data(result.stdout.utf8)
        let parsed = try Self.python("import json,sys; n=[json.loads(l) for l in sys.stdin]; print(len(n))", input: stdout)
        #expect(parsed.status == 0, "python3 could not parse the output")
        let records = try ReadCommandTests.records(result)
        #expect(parsed.output.trimmingCharacters(in: .whitespacesAndNewlines) == String(records.count))

        let sessions = records.filter { ($0["event"] as? [String: Any])?["kind"] as? String == "event" }
        let alerts = records.filter { ($0["event"] as? [String: Any])?["kind"] as? String == "alert" }
        #expect(sessions.count == HostileCapture.serverNames.count)
        #expect(alerts.count >= HostileCapture.serverNames.count)
        let names = sessions.compactMap { (($0["tls"] as? [String: Any])?["client"] as? [String: Any])?["server_name"] as? String }
        #expect(Set(names) == Set(HostileCapture.serverNames.map { String(decoding: $0, as: UTF8.self) }))
        for alert in alerts {
            let x509 = (((alert["tls"] as? [String: Any])?["server"] as? [String: Any])?["x509"] as? [String: Any])
            let subject = x509?["subject"] as? [String: Any]
            #expect((subject?["common_name"] as? [String])?.first
                    == String(decoding: HostileCapture.patches[0].bytes, as: UTF8.self))
            // RFC 2253 escapes every byte outside printable ASCII, so the name is ASCII.
            #expect((subject?["distinguished_name"] as? String)?.allSatisfy(\.isASCII) == true)
            #expect((x509?["alternative_names"] as? [String])?.contains("ok.example") == true)
            #expect((x509?["alternative_names"] as? [String])?.contains("2001:DB8:0:0:0:0:0:1") == true)
        }

        // The text format survives the same names.
        let text = try ReadCommandTests.run(["read", "--untrusted-scope", "all", "--quiet", capture])
        #expect(text.status == 0)
        #expect(text.lines.count >= HostileCapture.serverNames.count)
    }
}
