import Foundation
import Testing

/// `mitmwatch read` over hostile captures (`scripts/make-adversarial-captures.py`, generated at
/// test time): each run must finish, exit 0, stay within its memory bounds, count what it had to
/// let go by the expected reason, and still report every ordinary interception session mixed
/// into the hostile traffic (before, spread through, in the middle of, and after it).
///
/// Serialized: the runs are heavy (up to a million packets through a debug build) and their
/// peak RSS is measured per process.
@Suite(.serialized) struct AdversarialCaptureTests {
    static let root = ReadCommandTests.root
    static let memcap = 64 << 20
    static let timeoutSeconds = 120.0

    /// Peak RSS bounds. Measured with the debug build (the one tests use): 30–46 MiB for every
    /// capture but half-open (135 MiB: the 64 MiB memcap full of handshake state, plus the
    /// tracker pool's spare capacity and allocator overhead). The process's floor is ~30 MiB
    /// (runtime, OpenSSL, the indicator set and trust store). The bounds follow the memory
    /// model with margin: floor + memcap + the flow table + the certificate cache's share, so a
    /// regression that lets a flood grow memory past the memcap fails, not a change of allocator.
    static let floodRSSBound = 256 << 20
    static let otherRSSBound = 128 << 20

    struct Scenario: CustomTestStringConvertible, Sendable {
        var name: String
        /// Extra `read` options (the limits that put this capture under pressure).
        var options: [String] = ["--max-flows", "100000"]
        var rssBound = AdversarialCaptureTests.otherRSSBound
        var testDescription: String { name }
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "overlap-inconsistent"),
        Scenario(name: "one-byte-segments"),
        Scenario(name: "huge-lengths"),
        Scenario(name: "deep-der"),
        Scenario(name: "ten-thousand-certs"),
        Scenario(name: "zero-length"),
        Scenario(name: "random-tls-ports"),
        // A small table: the spread-out interception session sees ~62,000 new flows between two
        // of its packets, more than the table holds.
        Scenario(name: "synflood", options: ["--max-flows", "50000"], rssBound: floodRSSBound),
        // The default table under a 64 MiB memcap: the memcap binds first.
        Scenario(name: "half-open", options: ["--max-flows", "262144"], rssBound: floodRSSBound),
    ]

    struct Run {
        var status: Int32
        var seconds: Double
        var records: [[String: Any]]
        var summary: [String: Any]
        var manifest: [String: Any]

        var counters: [String: Int] { Self.integers(summary["counters"]) }
        var drops: [String: Int] { Self.integers(summary["drops"]) }

        static func integers(_ object: Any?) -> [String: Int] {
            (object as? [String: Any] ?? [:]).compactMapValues { $0 as? Int }
        }
        var sessions: [[String: Any]] { records.filter { Self.dataset($0) == "mitmwatch.tls" } }
        var alerts: [[String: Any]] { records.filter { Self.dataset($0) == "mitmwatch.alert" } }
        var details: [String: Any] { manifest["details"] as? [String: Any] ?? [:] }

        static func dataset(_ record: [String: Any]) -> String? {
            (record["event"] as? [String: Any])?["dataset"] as? String
        }

        static func serverName(_ record: [String: Any]) -> String? {
            ((record["tls"] as? [String: Any])?["client"] as? [String: Any])?["server_name"] as? String
        }

        static func server(_ record: [String: Any]) -> String {
            let destination = record["destination"] as? [String: Any]
            return "\(destination?["ip"] ?? ""):\(destination?["port"] ?? "")"
        }

        /// The `known-interception-ca` alerts for a connection (server name and address:port).
        func interceptionAlerts(_ session: [String: Any]) -> [[String: Any]] {
            alerts.filter { alert in
                (alert["rule"] as? [String: Any])?["id"] as? String == "known-interception-ca"
                    && Self.serverName(alert) == session["sni"] as? String && Self.server(alert) == session["server"] as? String
            }
        }

        func session(_ described: [String: Any]) -> [String: Any]? {
            sessions.first { Self.serverName($0) == described["sni"] as? String && Self.server($0) == described["server"] as? String }
        }

        static func mitmwatch(_ record: [String: Any]?) -> [String: Any] { record?["mitmwatch"] as? [String: Any] ?? [:] }
        static func chain(_ record: [String: Any]?) -> [String: Any] { mitmwatch(record)["chain"] as? [String: Any] ?? [:] }
    }

    /// Writes the scenario's capture into a fresh directory and runs `mitmwatch read` on it.
    static func run(_ scenario: Scenario) throws -> Run {
        let directory = NSTemporaryDirectory() + "mitmwatch-adversarial-\(scenario.name)-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let shared = ProcessInfo.processInfo.environment["MITMWATCH_SHARED"]
            ?? root.deletingLastPathComponent().appendingPathComponent("shared").path
        let generate = try Self.execute("/usr/bin/env", ["python3", root.appendingPathComponent("scripts/make-adversarial-captures.py").path,
                                                         directory, "--only", scenario.name,
                                                         "--certs", shared + "/indicators/certs"])
        try #require(generate.status == 0, "capture generation failed: \(generate.stderr)")
        let manifestData = try Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))
        let manifest = ((try JSONSerialization.jsonObject(with: manifestData) as? [String: Any])?["scenarios"]
            as? [String: Any])?[scenario.name] as? [String: Any] ?? [:]
        let started = Date()
        let result = try Self.execute(ReadCommandTests.binary,
                                      ["read", "--format", "json", "--events", "all", "--summary-format", "json",
                                       "--memcap", String(memcap)] + scenario.options
                                          + [directory + "/" + scenario.name + ".pcap"])
        let seconds = Date().timeIntervalSince(started)
        let records = result.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let summaryLine = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
        let summary = (try? JSONSerialization.jsonObject(with: Data(summaryLine.utf8)) as? [String: Any]) ?? [:]
        return Run(status: result.status, seconds: seconds, records: records, summary: summary, manifest: manifest)
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program, failing (and killing it) after `timeoutSeconds` so a hang fails the test.
    /// Its output goes to files, read when it is done.
    static func execute(_ path: String, _ arguments: [String]) throws -> Output {
        let base = NSTemporaryDirectory() + "mitmwatch-adversarial-run-\(UUID().uuidString)"
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
        try process.run()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            Issue.record("\(path) \(arguments.joined(separator: " ")) did not finish within \(timeoutSeconds) s")
        }
        process.waitUntilExit()
        let stdout = (try? Data(contentsOf: URL(fileURLWithPath: base + ".out"))) ?? Data()
        let stderr = (try? Data(contentsOf: URL(fileURLWithPath: base + ".err"))) ?? Data()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test(arguments: scenarios)
    func hostileCapture(_ scenario: Scenario) throws {
        let run = try Self.run(scenario)
        #expect(run.status == 0)
        #expect(run.seconds < Self.timeoutSeconds)
        #expect(!run.summary.isEmpty, "no JSON summary on stderr")
        // Every mixed-in interception session is detected, and only on its connection.
        let planted = run.manifest["interception_sessions"] as? [[String: Any]] ?? []
        #expect(planted.count == 4)
        for session in planted {
            #expect(run.interceptionAlerts(session).count == 1,
                    "\(scenario.name): no known-interception-ca alert for \(session["placement"] ?? "?") \(session["sni"] ?? "?")")
        }
        // Memory: buffers within the memcap, the process within its bound.
        let peakBuffered = (run.summary["reassembly"] as? [String: Any])?["peak_buffered_bytes"] as? Int
        #expect(peakBuffered.map { $0 <= Self.memcap } == true)
        let peakRSS = (run.summary["process"] as? [String: Any])?["peak_rss_bytes"] as? Int
        #expect(peakRSS.map { $0 > 0 && $0 < scenario.rssBound } == true,
                "\(scenario.name): peak RSS \((peakRSS ?? 0) >> 20) MiB, bound \(scenario.rssBound >> 20) MiB")
        try check(scenario.name, run)
    }

    /// What each capture must also show.
    func check(_ name: String, _ run: Run) throws {
        let counters = run.counters, drops = run.drops, details = run.details
        switch name {
        case "overlap-inconsistent":
            #expect(counters["overlap_inconsistent_bytes", default: 0] > 0)
            #expect(counters["segments_overlap_inconsistent", default: 0] > 0)
            // The interception session whose Certificate bytes were retransmitted with other
            // bytes: detected (its real copy came first), and its record says copies differed.
            let realFirst = try #require(details["overlap_real_first"] as? [String: Any])
            #expect(run.interceptionAlerts(realFirst).count == 1)
            let realRecord = run.session(realFirst)
            let realTCP = Run.mitmwatch(realRecord)["tcp"] as? [String: Any]
            #expect((realTCP?["overlap_inconsistent_bytes"] as? Int ?? 0) > 0)
            // The decoy came first: that copy is the one examined (no alert), and the record
            // shows the connection where copies differed.
            let decoyFirst = try #require(details["overlap_decoy_first"] as? [String: Any])
            #expect(run.interceptionAlerts(decoyFirst).isEmpty)
            let decoyRecord = run.session(decoyFirst)
            #expect((Run.chain(decoyRecord)["sha256"] as? [String])?.first == details["decoy_sha256"] as? String)
            let decoyTCP = Run.mitmwatch(decoyRecord)["tcp"] as? [String: Any]
            #expect((decoyTCP?["overlap_inconsistent_bytes"] as? Int ?? 0) > 0)
        case "one-byte-segments":
            let sessions = details["one_byte_sessions"] as? [[String: Any]] ?? []
            #expect(sessions.count == 8)
            for session in sessions { #expect(run.interceptionAlerts(session).count == 1, "\(session["sni"] ?? "?")") }
            #expect(counters["segments_out_of_order", default: 0] > 1000)
        case "huge-lengths":
            // A 2^24-1-byte Certificate message, 1.2 MB of it sent: kept up to --max-flow-bytes,
            // truncated, and the interception root in front of it still seen.
            let truncated = try #require(details["huge_truncated_session"] as? [String: Any])
            #expect(run.interceptionAlerts(truncated).count == 1)
            #expect(Run.chain(run.session(truncated))["truncated"] as? Bool == true)
            #expect(drops["certificate_message_over_cap", default: 0] >= 1)
            #expect(drops["certificate_message_malformed", default: 0] >= 1)
            #expect(drops["snaplen_truncated", default: 0] >= 300)
            #expect(drops["tcp_malformed", default: 0] >= 300)
        case "deep-der":
            let sessions = details["deep_sessions_with_root"] as? [[String: Any]] ?? []
            #expect(sessions.count == 2)
            for session in sessions { #expect(run.interceptionAlerts(session).count == 1, "\(session["sni"] ?? "?")") }
            #expect(counters["tls_sessions", default: 0] == 14)
            #expect(counters["certificate_messages", default: 0] == 14)
        case "ten-thousand-certs":
            // Three messages of 10,000 certificates: 64 of each examined, the rest counted.
            #expect(drops["chain_certificates_over_cap", default: 0] == 3 * (10_000 - 64))
            let layouts = details["ten_thousand_sessions"] as? [String: [String: Any]] ?? [:]
            for (label, session) in layouts {
                let chain = Run.chain(run.session(session))
                #expect(chain["length"] as? Int == 64, "\(label)")
                #expect(chain["truncated"] as? Bool == true, "\(label)")
            }
            // Within the cap the root is found; at position 9,999 it is past the cap (documented).
            #expect(run.interceptionAlerts(try #require(layouts["root-at-5"])).count == 1)
            #expect(run.interceptionAlerts(try #require(layouts["root-at-9999"])).isEmpty)
        case "zero-length":
            let sessions = details["zero_length_sessions_with_root"] as? [[String: Any]] ?? []
            #expect(sessions.count == 3)
            for session in sessions { #expect(run.interceptionAlerts(session).count == 1, "\(session["sni"] ?? "?")") }
        case "random-tls-ports":
            #expect(counters["flows_created", default: 0] >= 3000)
            // Garbage raises no interception alert: the only ones are the planted sessions'.
            let interception = run.alerts.filter { ($0["rule"] as? [String: Any])?["id"] as? String == "known-interception-ca" }
            #expect(interception.count == 4)
        case "synflood":
            #expect(counters["flows_created", default: 0] >= 1_000_000)
            #expect(drops["flow_table_full", default: 0] >= 950_000)
        case "half-open":
            #expect(counters["flows_created", default: 0] >= 200_000)
            #expect(drops["memcap_eviction", default: 0] > 0)
            #expect(drops["flow_state_memcap", default: 0] == 0)
        default:
            Issue.record("no checks for \(name)")
        }
    }
}
