import Foundation
import Store
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `read --state` and `mitmwatch history` as a user runs them, and the daemon's store: the built
/// binary, real captures, real files (a garbage store, a truncated one, a full disk).
@Suite(.serialized) struct HistoryCommandTests {
    typealias Run = ReadCommandTests

    static func directory(_ name: String = #function) -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("mitmwatch-history-\(name.filter(\.isLetter))-\(UUID().uuidString.prefix(8))").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func json(_ result: ReadCommandTests.Result) throws -> [[String: Any]] { try Run.records(result) }

    static func nested(_ object: [String: Any], _ path: String) -> Any? {
        var value: Any? = object
        for key in path.split(separator: ".") { value = (value as? [String: Any])?[String(key)] }
        return value
    }

    /// Every leaf key of a record, dotted.
    static func keys(_ object: [String: Any], prefix: String = "") -> Set<String> {
        var keys: Set<String> = []
        for (key, value) in object {
            if let inner = value as? [String: Any] { keys.formUnion(Self.keys(inner, prefix: prefix + key + ".")) } else { keys.insert(prefix + key) }
        }
        return keys
    }

    @Test func readTwiceIntoOneStoreThenHistoryListsTheChainWithTheKazakhstanVerdict() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = directory + "/state.db"
        let plain = try Run.run(["read", "--format", "json", "--quiet", Run.demo])
        for _ in 0..<2 {
            let read = try Run.run(["read", "--format", "json", "--state", state, Run.demo])
            #expect(read.status == 0, "\(read.stderr)")
            #expect(read.stdout == plain.stdout)  // the store changes nothing of read's output
            #expect(read.stderr.contains("state store: 4 session(s) recorded"), "\(read.stderr)")
        }
        let history = try Run.run(["history", "www.facebook.example", "--state", state, "--format", "json"])
        #expect(history.status == 0, "\(history.stderr)")
        let records = try Self.json(history)
        #expect(records.count == 1)
        let record = try #require(records.first)
        #expect(Self.keys(record) == ["tls.client.server_name", "mitmwatch.chain.sha256", "tls.server.hash.sha256",
                                      "tls.server.issuer", "mitmwatch.history.first_seen", "mitmwatch.history.last_seen",
                                      "mitmwatch.history.count", "mitmwatch.history.observations", "mitmwatch.verdict",
                                      "mitmwatch.history.issuing_ca", "mitmwatch.history.sensors"])
        #expect(Self.nested(record, "tls.client.server_name") as? String == "www.facebook.example")
        #expect(Self.nested(record, "mitmwatch.history.count") as? Int == 2)
        #expect(Self.nested(record, "mitmwatch.history.observations") as? [String] == ["passive"])
        // Both reads ran here, under the host name (sensor.name's default).
        #expect(Self.nested(record, "mitmwatch.history.sensors") as? [String] == [StoreWriterConfiguration.hostName])
        let verdict = Self.nested(record, "mitmwatch.verdict") as? [String] ?? []
        #expect(verdict.contains("known-interception-ca"), "\(verdict)")
        #expect(Self.nested(record, "tls.server.issuer") as? String == "CN=Security Certificate,C=KZ")
        // The chain is the session record's.
        let session = try Self.json(plain).first { Self.nested($0, "tls.client.server_name") as? String == "www.facebook.example" }
        let chain = try #require(session.flatMap { Self.nested($0, "mitmwatch.chain.sha256") as? [String] })
        #expect(Self.nested(record, "mitmwatch.chain.sha256") as? [String] == chain)
        #expect(Self.nested(record, "tls.server.hash.sha256") as? String == chain.first)
        let firstSeen = try #require(Self.nested(record, "mitmwatch.history.first_seen") as? String)
        #expect(firstSeen.hasSuffix("Z") && firstSeen.count == 20)

        // Text, the CA's names, the TLS 1.3 session's name (no chain: no line), since.
        let text = try Run.run(["history", "www.facebook.example", "--state", state])
        #expect(text.lines.count == 1 && text.stdout.contains("known-interception-ca"), "\(text.stdout)")
        let byIssuer = try Run.run(["history", "--issuer", "security CERTIFICATE,c=kz", "--state", state, "--format", "json"])
        #expect(try Self.json(byIssuer).compactMap { Self.nested($0, "tls.client.server_name") as? String } == ["www.facebook.example"])
        let issuingCA = try #require(Self.nested(record, "mitmwatch.history.issuing_ca") as? String)
        let byKey = try Run.run(["history", "--spki", issuingCA, "--state", state, "--format", "json"])
        #expect(try Self.json(byKey).count == 1, "\(byKey.stdout)\(byKey.stderr)")
        let future = try Run.run(["history", "www.facebook.example", "--state", state, "--since", "2999-01-01"])
        #expect(future.status == 0 && future.stdout.isEmpty)
        let changes = try Run.run(["history", "--changes", "--state", state])
        #expect(changes.status == 0 && changes.stdout.isEmpty)
        #expect(try Run.run(["history", "www.bank.example", "--state", state, "--format", "json"]).lines.count == 1)
    }

    @Test func stateConfigurationErrorsNameTheKeyAndValue() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + "/config.json"
        for (state, expected) in [(#"{"retention_days": 0}"#, "key 'state.retention_days'"),
                                  (#"{"path": "state.db"}"#, "key 'state.path': \"state.db\" is not an absolute path"),
                                  (#"{"max_bytes": 1000}"#, "key 'state.max_bytes'"),
                                  (#"{"flush_seconds": "5"}"#, "key 'state.flush_seconds'"),
                                  (#"{"enable": true}"#, "unknown key 'state.enable'")] {
            try #"{"interfaces": ["lo"], "state": \#(state)}"#.write(toFile: config, atomically: true, encoding: .utf8)
            let result = try Run.run(["check-config", config])
            #expect(result.status != 0, "\(state)")
            #expect(result.stderr.contains(expected), "\(result.stderr)")
        }
        try #"{"interfaces": ["lo"], "state": {"enabled": false, "retention_days": 30, "max_bytes": 1048576, "flush_seconds": 0.5}}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try Run.run(["check-config", config]).status == 0)
    }

    @Test func badArgumentsExit64WithOneLine() throws {
        for arguments in [["history", "a.example", "--since", "last tuesday"], ["history"], ["history", "a", "--changes"],
                          ["history", "--spki", "not-hex!"]] {
            let result = try Run.run(arguments + ["--state", "/nonexistent/state.db"])
            #expect(result.status == 64, "\(arguments)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        let since = try Run.run(["history", "a.example", "--since", "2019-02-30"])
        #expect(since.stderr == "mitmwatch: history: --since: \"2019-02-30\" is not a date (YYYY-MM-DD or ISO 8601, e.g. 2019-07-18T00:00:00Z)\n")
    }

    @Test func garbageTruncatedAndMissingStoresAreOneLineAndExitOne() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let garbage = directory + "/garbage.db"
        try Data((0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }).write(to: URL(fileURLWithPath: garbage))
        for arguments in [["read", "--state", garbage, Run.demo], ["history", "x.example", "--state", garbage]] {
            let result = try Run.run(arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr == "mitmwatch: \(garbage): not a mitmwatch state store (file is not a database)\n")
            #expect(result.stdout.isEmpty)
        }
        // A real store cut short.
        let state = directory + "/state.db"
        #expect(try Run.run(["read", "--quiet", "--state", state, Run.demo]).status == 0)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: state)[.size] as? Int)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: state))
        try handle.truncate(atOffset: UInt64(size / 2))
        try handle.close()
        try? FileManager.default.removeItem(atPath: state + "-wal")
        let truncated = try Run.run(["history", "--issuer", "a", "--state", state])
        #expect(truncated.status == 1, "\(truncated.stdout)")
        #expect(truncated.stderr.hasPrefix("mitmwatch: \(state): not a mitmwatch state store ("), "\(truncated.stderr)")
        #expect(truncated.stderr.split(separator: "\n").count == 1)
        let missing = try Run.run(["history", "x.example", "--state", directory + "/none.db"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "mitmwatch: \(directory)/none.db: cannot open the state store (no such file)\n")
    }

    @Test func aFullDiskIsSaidOnceAndReadGoesOnWithItsOutputIntact() throws {
        guard getuid() == 0 else { Issue.record("this test needs root (tmpfs)"); return }
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let disk = directory + "/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        guard DaemonFaultTests.command("/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", disk]) == 0 else {
            Issue.record("cannot mount a tmpfs here"); return
        }
        defer { _ = DaemonFaultTests.command("/bin/umount", ["-l", disk]) }
        let state = disk + "/state.db"
        #expect(try Run.run(["read", "--quiet", "--state", state, Run.demo]).status == 0)  // the store exists
        #expect(DaemonFaultTests.fill(disk + "/filler") > 0)
        let plain = try Run.run(["read", "--format", "json", "--quiet", Run.demo])
        let full = try Run.run(["read", "--format", "json", "--state", state, Run.demo])
        #expect(full.status == 0)
        #expect(full.stdout == plain.stdout)
        let warnings = full.stderr.split(separator: "\n").filter { $0.contains("warning: state store") }
        #expect(warnings.count == 2, "\(full.stderr)")  // the failure once, then what was not recorded
        #expect(warnings.first?.contains(state) == true, "\(full.stderr)")
        #expect(warnings.last?.contains("4 session(s) not recorded") == true, "\(full.stderr)")
        // Space freed: the store is still a store, with the first read's history.
        try FileManager.default.removeItem(atPath: disk + "/filler")
        let history = try Run.run(["history", "www.facebook.example", "--state", state, "--format", "json"])
        #expect(history.status == 0, "\(history.stderr)")
        #expect(try Self.json(history).first.flatMap { Self.nested($0, "mitmwatch.history.count") as? Int } == 1)
    }

    @Test func historyAnswersWhileAWriterWrites() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = directory + "/state.db"
        #expect(try Run.run(["read", "--quiet", "--state", state, Run.demo]).status == 0)
        // A writer in a loop beside the readers.
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", "while :; do '\(Run.binary)' read --quiet --state '\(state)' '\(Run.demo)' >/dev/null || exit 9; done"]
        try writer.run()
        defer {
            writer.terminate()
            writer.waitUntilExit()
        }
        var counts: [Int] = []
        for _ in 0..<15 {
            let result = try Run.run(["history", "www.facebook.example", "--state", state, "--format", "json"])
            #expect(result.status == 0, "\(result.stderr)")
            if let count = try Self.json(result).first.flatMap({ Self.nested($0, "mitmwatch.history.count") as? Int }) {
                counts.append(count)
            }
        }
        #expect(writer.isRunning)  // the writer never failed (its loop exits 9 on a failure)
        #expect(counts.count == 15)
        #expect(counts == counts.sorted())
        #expect((counts.last ?? 0) > 1)
    }

    @Test func theDaemonMovesAGarbageStoreAsideAndRecordsIntoAFreshOne() throws {
        guard getuid() == 0 else { Issue.record("this test needs root (capture on lo)"); return }
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let state = kit.path("state.db")
        try Data(repeating: 0x42, count: 10_000).write(to: URL(fileURLWithPath: state))
        let config = kit.path("config.json")
        try (#"{"interfaces": ["lo"], "journal": false, "state": {"path": "\#(state)", "flush_seconds": 0.5}}"#)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try LiveDaemonTests.Running(["run", "--config", config])
        defer { DaemonFaultTests.cleanUp(daemon) }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))
        #expect(daemon.waitForStderr("\(state): not a mitmwatch state store (file is not a database); moved aside to \(state).corrupt-"))
        let aside = try FileManager.default.contentsOfDirectory(atPath: kit.path("")).filter { $0.hasPrefix("state.db.corrupt-") }
        #expect(aside.count == 1)
        #expect(aside.first?.count == "state.db.corrupt-".count + 16)  // YYYYMMDDTHHMMSSZ
        let port = Int.random(in: 25_000...25_900)
        try LiveDaemonTests.handshake(kit, port: port)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        let history = try Run.run(["history", "--issuer", "Security Certificate", "--state", state, "--format", "json"])
        #expect(history.status == 0, "\(history.stderr)")
        // Other tests' handshakes on `lo` may be captured too: this one's chain is found by its leaf.
        let leaf = try kit.der("leaf").sha256Hex
        let records = try Self.json(history).filter { Self.nested($0, "tls.server.hash.sha256") as? String == leaf }
        #expect(records.count == 1, "\(history.stdout)")
        #expect((records.first.flatMap { Self.nested($0, "mitmwatch.verdict") as? [String] } ?? []).contains("known-interception-ca"))
    }
}
