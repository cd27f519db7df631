import Foundation
import TestSupport
import Testing

/// Two live daemons (`run`) on `lo`, each under its own `sensor.name`, writing one PostgreSQL
/// store: `history` shows the chain seen by both. The server stopped under them and started
/// again loses nothing written; meanwhile capture and alerts go on (to the JSON logs), and what
/// was seen during the outage reaches the store once the server is back.
@Suite(.serialized) struct PostgresTwoDaemonsTests {
    typealias Wait = FollowUpDaemonTests

    /// One daemon, its sensor name and JSON log (alerts and sessions).
    struct Sensor {
        let name: String
        let log: String
        let daemon: LiveDaemonTests.Running
    }

    static func start(_ name: String, _ kit: OpenSSLKit, url: String) throws -> Sensor {
        let log = kit.path("\(name).json"), config = kit.path("\(name)-config.json")
        try (#"{"interfaces": ["lo"], "journal": false, "json_log": {"path": "\#(log)", "sessions": true}, "#
            + #""state": {"url": "\#(url)", "flush_seconds": 0.5}, "sensor": {"name": "\#(name)"}}"#)
            .write(toFile: config, atomically: true, encoding: .utf8)
        return Sensor(name: name, log: log, daemon: try LiveDaemonTests.Running(["run", "--config", config]))
    }

    /// SIGTERM, then SIGKILL after 10 s; the exit status when it stopped on SIGTERM.
    @discardableResult
    static func stop(_ sensor: Sensor) -> Int32? {
        let process = sensor.daemon.process
        guard process.isRunning else { return process.terminationStatus }
        sensor.daemon.signal(SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return nil
    }

    /// `connections` TLS 1.2 handshakes to one s_server on `port` serving the Kazakhstan-style chain.
    static func handshakes(_ kit: OpenSSLKit, port: Int, connections: Int) throws {
        let server = try ProbeCommandTests.Server(kit, port: port, cert: "leaf.pem", key: "leaf.key", chain: "intermediate.pem",
                                                  versions: ["-tls1_2"], connections: connections)
        defer { server.stop() }
        for _ in 0..<connections { try LiveDaemonTests.client(port: port, version: "-tls1_2") }
    }

    /// The log's session records (not alerts) to `port`. Other tests' handshakes on `lo` are
    /// captured too: only this test's server ports count.
    static func sessions(_ log: String, port: Int) -> [[String: Any]] {
        LiveDaemonTests.lines(log).filter { !Wait.isAlert($0) && Wait.port($0, "destination") == port }
    }

    static func alertRules(_ log: String, port: Int) -> Set<String> {
        Set(LiveDaemonTests.lines(log).filter { Wait.isAlert($0) && Wait.port($0, "destination") == port }
            .compactMap { ($0["rule"] as? [String: Any])?["id"] as? String })
    }

    /// `history www.facebook.example --state URL`'s record of the chain whose leaf is `leaf`
    /// (other tests' chains for the name may be there too), nil when it is not (yet) there.
    static func history(_ url: String, leaf: String) throws -> [String: Any]? {
        let result = try ReadCommandTests.run(["history", "www.facebook.example", "--state", url, "--format", "json"])
        guard result.status == 0 else { return nil }
        return try HistoryCommandTests.json(result).first {
            HistoryCommandTests.nested($0, "tls.server.hash.sha256") as? String == leaf
        }
    }

    static func count(_ record: [String: Any]?) -> Int? { record.flatMap { HistoryCommandTests.nested($0, "mitmwatch.history.count") as? Int } }
    static func sensors(_ record: [String: Any]?) -> [String]? {
        record.flatMap { HistoryCommandTests.nested($0, "mitmwatch.history.sensors") as? [String] }
    }

    @Test func twoDaemonsShareOneDatabaseAndOutliveItsRestart() throws {
        guard let server = try PostgresHistoryTests.server() else { return }
        defer { server.destroy() }
        let url = server.url()
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let sensors = try ["gw-a", "gw-b"].map { try Self.start($0, kit, url: url) }
        defer { for sensor in sensors { Self.stop(sensor) } }
        for sensor in sensors { #expect(sensor.daemon.waitForStderr("mitmwatch started on lo"), "\(sensor.name)") }

        // Before: three handshakes, recorded by both sensors.
        let before = Int.random(in: 33_000...33_899), during = before + 100
        try Self.handshakes(kit, port: before, connections: 3)
        #expect(Wait.waitFor(15) { sensors.allSatisfy { Self.sessions($0.log, port: before).count == 3 } },
                "\(sensors.map { Self.sessions($0.log, port: before).count })")
        let leaf = try #require(Self.sessions(sensors[0].log, port: before).first
            .flatMap { HistoryCommandTests.nested($0, "tls.server.hash.sha256") as? String })
        var record: [String: Any]?
        #expect(Wait.waitFor(20) {
            record = try? Self.history(url, leaf: leaf)
            return Self.count(record) == 6 && Self.sensors(record) == ["gw-a", "gw-b"]
        }, "\(record.map { "\($0)" } ?? "no history for the chain")")
        let firstSeen = try #require(record.flatMap { HistoryCommandTests.nested($0, "mitmwatch.history.first_seen") as? String })
        #expect((HistoryCommandTests.nested(record ?? [:], "mitmwatch.verdict") as? [String] ?? []).contains("known-interception-ca"))

        // The server goes away: capture and alerts go on, the writers say so once and keep what they gathered.
        server.stop()
        try Self.handshakes(kit, port: during, connections: 3)
        for sensor in sensors {
            #expect(Wait.waitFor(15) {
                Self.sessions(sensor.log, port: during).count == 3 && Self.alertRules(sensor.log, port: during).contains("known-interception-ca")
            }, "\(sensor.name): \(Self.sessions(sensor.log, port: during).count) session(s), alerts \(Self.alertRules(sensor.log, port: during))")
            #expect(sensor.daemon.waitForStderr("history is kept in memory and retried", seconds: 15), "\(sensor.name): \(sensor.daemon.collected.value)")
        }
        #expect(sensors.allSatisfy { $0.daemon.process.isRunning })

        // Back: the sessions seen meanwhile reach it, under both sensors; the earlier rows are still there.
        try server.start()
        #expect(Wait.waitFor(40) {
            record = try? Self.history(url, leaf: leaf)
            return Self.count(record) == 12
        }, "\(record.map { "\($0)" } ?? "no history for the chain")")
        #expect(Self.sensors(record) == ["gw-a", "gw-b"])
        #expect(record.flatMap { HistoryCommandTests.nested($0, "mitmwatch.history.first_seen") as? String } == firstSeen)
        for sensor in sensors {
            #expect(sensor.daemon.waitForStderr("writing again after", seconds: 10), "\(sensor.name): \(sensor.daemon.collected.value)")
            #expect(Self.stop(sensor) == 0, "\(sensor.name)")
            #expect(!sensor.daemon.collected.value.contains("not recorded"), "\(sensor.name): \(sensor.daemon.collected.value)")
        }
        // Each session once per sensor, nothing counted twice by the retried writes.
        #expect(Self.count(try Self.history(url, leaf: leaf)) == 12)
    }
}
