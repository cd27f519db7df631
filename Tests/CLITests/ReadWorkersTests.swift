import Foundation
import Testing
import TestSupport

/// `mitmwatch read --workers N`: several threads, each following its share of the connections,
/// must write exactly what one worker writes — the same records in the same order, the same
/// counters — and number sessions by the frame that opened them.
@Suite struct ReadWorkersTests {
    typealias CLI = ReadCommandTests

    /// Every capture of the peer corpus and of our fixtures, read as one stream (28 k frames of
    /// Ethernet, raw IP, SLL, loopback, tunnels, fragments, damaged files; 14 MB).
    static var everyCapture: [String] {
        let shared = ProcessInfo.processInfo.environment["MITMWATCH_SHARED"]
            ?? CLI.root.deletingLastPathComponent().appendingPathComponent("shared").path
        var files: [String] = []
        for directory in [shared + "/corpus/peers", CLI.root.appendingPathComponent("Tests").path] {
            let walker = FileManager.default.enumerator(atPath: directory)
            while let name = walker?.nextObject() as? String {
                if name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") { files.append(directory + "/" + name) }
            }
        }
        return files.sorted()
    }

    static func summary(_ result: ReadCommandTests.Result) throws -> [String: Any] {
        let line = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
        return try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
    }

    /// Runs `read` with `workers` and the given options over `files`; the run must succeed.
    static func read(_ files: [String], workers: Int, _ options: [String] = []) throws -> ReadCommandTests.Result {
        let result = try CLI.run(["read", "--format", "json", "--events", "all", "--summary-format", "json",
                                  "--workers", String(workers)] + options + files)
        #expect(result.status == 0, "\(result.stderr.suffix(500))")
        return result
    }

    @Test(arguments: [[], ["--idle-timeout", "1"], ["--certificate-chain", "--no-missing-sct"]])
    func severalWorkersWriteWhatOneWrites(options: [String]) throws {
        let files = Self.everyCapture
        try #require(files.count > 200, "the peer corpus is missing (../shared/corpus/peers)")
        let one = try Self.read(files, workers: 1, options)
        let oneSummary = try Self.summary(one)
        #expect(oneSummary["workers"] as? Int == 1)
        #expect(one.lines.count > 800)
        for workers in [2, 3, 7] {
            let many = try Self.read(files, workers: workers, options)
            #expect(many.stdout == one.stdout, "records of \(workers) workers differ from one worker's")
            let summary = try Self.summary(many)
            #expect(summary["workers"] as? Int == workers)
            for key in ["counters", "drops", "files"] {
                #expect(NSDictionary(dictionary: ["v": summary[key] ?? 0]) == NSDictionary(dictionary: ["v": oneSummary[key] ?? 0]),
                        "summary \(key) of \(workers) workers differs")
            }
            #expect(summary["alerts"] as? Int == oneSummary["alerts"] as? Int)
        }
    }

    @Test func largeInputIsSharedOutByDefault() throws {
        let result = try Self.read(Self.everyCapture, workers: 0)
        // The test reads stdout through a pipe: a reader, which keeps a core of its own.
        let expected = min(max(ProcessInfo.processInfo.activeProcessorCount - 1, 1), 8)
        #expect(try Self.summary(result)["workers"] as? Int == expected)
        let directory = NSTemporaryDirectory() + "mitmwatch-workers-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = try CLI.runShell("'\(CLI.binary)' read --format json --summary-format json "
            + Self.everyCapture.map { "'\($0)'" }.joined(separator: " ") + " > '\(directory)/records.json'")
        #expect(file.status == 0)
        #expect(try Self.summary(file)["workers"] as? Int == min(ProcessInfo.processInfo.activeProcessorCount, 8))
        #expect(try String(contentsOfFile: directory + "/records.json", encoding: .utf8) == result.stdout)
    }

    @Test func dedupAndPipedInputUseOneWorker() throws {
        let dedup = try Self.read(Self.everyCapture, workers: 4, ["--dedup"])
        #expect(try Self.summary(dedup)["workers"] as? Int == 1)
        // A pipe, as `cat capture | mitmwatch read -`: it can be read only once.
        let piped = try CLI.runShell("cat '\(CLI.demo)' | '\(CLI.binary)' read --format json --summary-format json --workers 4 -")
        #expect(piped.status == 0)
        #expect(try Self.summary(piped)["workers"] as? Int == 1)
        #expect(piped.lines.count == (try CLI.run(["read", "--format", "json", CLI.demo])).lines.count)
    }

    @Test(arguments: ["-1", "65", "many"])
    func workersOutOfRangeIsAUsageError(value: String) throws {
        let result = try CLI.run(["read", "--workers", value, CLI.demo])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--workers"))
        #expect(result.stdout.isEmpty)
    }

    /// The session id is the number of the frame that opened the connection, as tshark numbers
    /// frames — the first frame of each TCP stream.
    @Test func sessionIDIsTheFrameThatOpenedTheConnection() throws {
        let tools = try WiresharkTools()
        let fields = try tools.run("tshark", ["-r", CLI.demo, "-T", "fields", "-e", "frame.number",
                                              "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.dstport", "-Y", "tcp"])
        var firstFrame: [String: Int] = [:]  // "client port" → first frame of its stream
        var streamFirst: [String: (frame: Int, ports: (String, String))] = [:]
        for line in fields.split(separator: "\n") {
            let parts = line.split(separator: "\t").map(String.init)
            guard parts.count == 4, let frame = Int(parts[0]) else { continue }
            if streamFirst[parts[1]] == nil { streamFirst[parts[1]] = (frame, (parts[2], parts[3])) }
        }
        for (_, first) in streamFirst {
            firstFrame[first.ports.0] = first.frame
            firstFrame[first.ports.1] = first.frame
        }
        let records = try CLI.records(try CLI.run(["read", "--format", "json", "--events", "sessions", CLI.demo]))
        try #require(!records.isEmpty)
        for record in records {
            let port = (record["source"] as? [String: Any])?["port"] as? Int ?? -1
            let id = (record["mitmwatch"] as? [String: Any])?["session_id"] as? Int
            #expect(id != nil && id == firstFrame[String(port)], "session of client port \(port)")
        }
    }
}
