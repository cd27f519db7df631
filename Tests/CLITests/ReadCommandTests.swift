import Foundation
import Testing

/// `mitmwatch read` as a user runs it: the built binary, real files, exit codes, stdout/stderr.
@Suite struct ReadCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The `mitmwatch` binary built beside the test bundle (or `$MITMWATCH_BIN`).
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["MITMWATCH_BIN"] { return path }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("mitmwatch").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return root.appendingPathComponent(".build/debug/mitmwatch").path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    static func run(_ arguments: [String]) throws -> Result {
        try run(executable: binary, arguments)
    }

    /// A shell command line (pipes), run by /bin/sh.
    static func runShell(_ command: String) throws -> Result {
        try run(executable: "/bin/sh", ["-c", command])
    }

    static func run(executable: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    static let demo = root.appendingPathComponent("samples/demo.pcap").path

    static func records(_ result: Result) throws -> [[String: Any]] {
        try result.lines.map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        }
    }

    @Test func jsonRecordsOfTheDemoCaptureMatchItsTruthFile() throws {
        let result = try Self.run(["read", "--format", "json", "--events", "sessions", Self.demo])
        #expect(result.status == 0)
        let truthData = try Data(contentsOf: Self.root.appendingPathComponent("samples/demo.expected.json"))
        let truth = (try JSONSerialization.jsonObject(with: truthData) as? [String: Any])?["connections"]
            as? [[String: Any]] ?? []
        let records = try Self.records(result)
        #expect(records.count == truth.count)
        for expected in truth {
            let record = records.first { record in
                let source = record["source"] as? [String: Any], destination = record["destination"] as? [String: Any]
                return "\(source?["ip"] ?? ""):\(source?["port"] ?? "")" == expected["client"] as? String
                    && "\(destination?["ip"] ?? ""):\(destination?["port"] ?? "")" == expected["server"] as? String
            }
            #expect(record != nil)
            guard let record else { continue }
            let event = record["event"] as? [String: Any]
            #expect(event?["kind"] as? String == "event")
            #expect(event?["dataset"] as? String == "mitmwatch.tls")
            #expect((record["@timestamp"] as? String)?.hasSuffix("Z") == true)
            #expect((record["network"] as? [String: Any])?["transport"] as? String == "tcp")
            let tls = record["tls"] as? [String: Any]
            #expect(tls?["version"] as? String == expected["version"] as? String)
            #expect(tls?["version_protocol"] as? String == "tls")
            #expect((tls?["client"] as? [String: Any])?["server_name"] as? String == expected["sni"] as? String)
            let chain = (record["mitmwatch"] as? [String: Any])?["chain"] as? [String: Any]
            let expectedChain = expected["server_chain_sha256"] as? [String]
            #expect(chain?["sha256"] as? [String] == expectedChain)
            #expect(chain?["observable"] as? Bool == (expectedChain != nil))
            let leaf = ((tls?["server"] as? [String: Any])?["hash"] as? [String: Any])?["sha256"] as? String
            #expect(leaf == expectedChain?.first)
            if expectedChain == nil { #expect(chain?["unobserved_reason"] as? String == "tls13-encrypted") }
        }
        #expect(result.stderr.contains("tls sessions 4"))
    }

    @Test func textFormatIsForPeople() throws {
        let result = try Self.run(["read", Self.demo])
        #expect(result.status == 0)
        #expect(result.stdout.contains("sni=\"www.facebook.example\""))
        #expect(result.stdout.contains("chain=unobserved(tls13-encrypted)"))
        #expect(result.stderr.contains("drops: none"))
    }

    @Test func severalFilesInOneRun() throws {
        let fixtures = Self.root.appendingPathComponent("Tests/SnifferTests/Fixtures/real").path
        let result = try Self.run(["read", "--format", "json", "--events", "sessions", "--quiet", Self.demo,
                                   fixtures + "/gnutls-tls12.pcap", fixtures + "/tls13-rsa.pcap"])
        #expect(result.status == 0)
        #expect(result.lines.count == 6)
        #expect(result.stderr.isEmpty)
    }

    @Test func missingFileIsAClearErrorAndNothingIsPrinted() throws {
        let result = try Self.run(["read", Self.demo, "/nonexistent/capture.pcap"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot read capture /nonexistent/capture.pcap"))
        #expect(result.stdout.isEmpty)
    }

    @Test func corruptFileIsAClearError() throws {
        let path = NSTemporaryDirectory() + "mitmwatch-corrupt-\(UUID().uuidString).pcap"
        try Data("this is not a capture file at all, just text\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Self.run(["read", path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot read capture \(path)"))
    }

    @Test func truncatedCaptureProcessesWhatItHoldsAndSaysSo() throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: Self.demo))
        let path = NSTemporaryDirectory() + "mitmwatch-truncated-\(UUID().uuidString).pcap"
        // Cut inside a packet record, two thirds of the way through.
        try whole.prefix(whole.count * 2 / 3 + 7).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Self.run(["read", "--format", "json", path])
        #expect(result.status == 0)
        #expect(result.stderr.contains("TRUNCATED"))
        #expect(result.lines.count >= 2)
    }

    @Test func invalidLimitsNameTheOptionAndValue() throws {
        let result = try Self.run(["read", "--max-flows", "0", Self.demo])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--max-flows"))
        #expect(result.stderr.contains("0"))
        let memcap = try Self.run(["read", "--memcap", "100", Self.demo])
        #expect(memcap.status != 0)
        #expect(memcap.stderr.contains("--memcap"))
    }

    @Test func noFilesIsAUsageError() throws {
        let result = try Self.run(["read"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("Missing expected argument"))
    }
}
