@testable import Daemon
import Detector
import Foundation
import Sniffer
import Store
import TestSupport
import Testing

/// The alert deduplication state survives a restart through the store: saved keys round-trip
/// whatever the names hold, stale ones are left out; live, a daemon restarted on the same store
/// does not alert again what it reported within the window.
@Suite(.serialized) struct DedupPersistenceTests {
    static func session(_ name: String?, server: String, at seconds: Int64) -> TLSSession {
        let address = HostAddress.parse(server)!
        return TLSSession(id: 1, start: Timestamp(seconds: seconds), end: Timestamp(seconds: seconds),
                          client: Endpoint(address: HostAddress.parse("10.0.0.1")!, port: 40_000),
                          server: Endpoint(address: address, port: 443))
    }

    @Test func savedStateRoundTripsAndStaleKeysAreLeftOut() {
        var first = AlertDeduplicator(windowSeconds: 3600)
        let finding = Finding(rule: .knownInterceptionCA, issuingCA: .name("CN=a:b 7:x, O=Qaznet"), evidence: .noCertificateTransparency)
        var session = Self.session("x", server: "2001:db8::1", at: 1_000_000)
        session.clientHellos = [ClientHello(offering: [.tls12], serverName: "12:weird:name.example", alpn: [])]
        #expect(first.admit(finding, session).emit)
        #expect(first.admit(finding, session, observation: .probe).emit)  // probe and passive apart
        let saved = first.saved()
        #expect(saved.count == 2)
        for entry in saved { #expect(AlertDeduplicator.key(parsing: entry.key) != nil, "\(entry.key)") }

        var restarted = AlertDeduplicator(windowSeconds: 3600)
        restarted.restore(saved + [("garbage", 0, 0), ("3:xyz", 0, 0)], now: Timestamp(seconds: 1_000_100))
        #expect(!restarted.admit(finding, session).emit)
        #expect(!restarted.admit(finding, session, observation: .probe).emit)
        var late = AlertDeduplicator(windowSeconds: 3600)
        late.restore(saved, now: Timestamp(seconds: 1_000_000 + 3601))
        #expect(late.admit(finding, session).emit)
    }

    @Test func eachSensorRestoresOnlyTheStateItSaved() throws {
        let kit = try OpenSSLKit()
        func state(_ sensor: String) -> DaemonConfig.State {
            var state = DaemonConfig.State()
            state.path = kit.path("shared.db")
            state.sensor = sensor
            return state
        }
        func save(_ sensor: String, _ keys: [String]) throws {
            let sink = try #require(DaemonStore.start(state(sensor)))
            sink.start()
            sink.saveDedup(keys.map { DedupEntry(key: $0, lastEmittedNanoseconds: 1_000_000_000, suppressed: 1) })
            sink.finish()
            #expect(sink.counters.batchesWritten == 1, "\(sink.counters)")
        }
        func restored(_ sensor: String) -> [String] { DaemonStore.savedDedup(state(sensor)).map(\.key).sorted() }
        try save("gw-a", ["a1", "both"])
        try save("gw-b", ["b1", "both"])
        try save("gw-a", ["a2"])  // replaces gw-a's, not gw-b's
        #expect(restored("gw-a") == ["a2"])
        #expect(restored("gw-b") == ["b1", "both"])
        #expect(restored("gw-c").isEmpty)
    }

    @Test func aRestartedDaemonDoesNotAlertAgainWithinTheWindow() throws {
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let store = kit.path("state.db")
        let port = 26_000 + Int.random(in: 0...99)  // the same server both times: the key names it
        func run(_ log: String) throws -> Int {
            let metrics = kit.path("m-\(log).prom"), config = kit.path("c-\(log).json")
            try (#"{"interfaces": ["lo"], "journal": false, "json_log": {"path": "\#(kit.path(log))"}, "#
                + #""metrics": {"textfile": "\#(metrics)", "interval_seconds": 1}, "state": {"path": "\#(store)"}}"#)
                .write(toFile: config, atomically: true, encoding: .utf8)
            let daemon = try LiveDaemonTests.Running(["run", "--config", config])
            defer { if daemon.process.isRunning { daemon.process.terminate() } }
            #expect(daemon.waitForStderr("mitmwatch started on lo"))
            try LiveDaemonTests.handshake(kit, port: port)
            // The session is reported when it ends; then the daemon stops and saves.
            #expect(FollowUpDaemonTests.waitFor(10) {
                let exposition = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
                return FollowUpDaemonTests.metric(exposition, "mitmwatch_tls_sessions_total") >= 1
                    && FollowUpDaemonTests.metric(exposition, "mitmwatch_alerts_suppressed_total") + LiveDaemonTests.lines(kit.path(log)).count >= 1
            }, "the handshake was not reported")
            daemon.signal(SIGTERM)
            #expect(daemon.waitForExit() == 0)
            // Other tests' handshakes on `lo` may be captured too: only this server's alerts count.
            return LiveDaemonTests.lines(kit.path(log)).filter {
                FollowUpDaemonTests.isAlert($0) && FollowUpDaemonTests.port($0, "destination") == port
            }.count
        }
        #expect(try run("first.json") >= 1)
        let second = try run("second.json")
        #expect(second == 0, "the restarted daemon alerted again \(second) time(s)")
    }
}
