import Foundation
import TestSupport
import Testing

/// The history rules live, with real TLS stacks on `lo`: a name that answered TLS 1.3 to every
/// client offering it (OpenSSL's s_server and s_client), then a server for it that speaks TLS 1.2
/// only, answering a client that offered 1.3 — `tls-downgrade`, the passive trace a TLS 1.3
/// interception box leaves. Thresholds lowered (`rules.tls-downgrade.*`) so the history settles
/// within the test.
@Suite(.serialized) struct HistoryDaemonTests {
    @Test func aDowngradeFromTLS13IsAlertedFromTheStoresHistory() throws {
        let kit = try OpenSSLKit()
        try kit.key("site")
        try kit.root("site", key: "site", subject: "/CN=www.facebook.example")
        let log = kit.path("alerts.json"), config = kit.path("config.json")
        try (#"{"interfaces": ["lo"], "journal": false, "json_log": {"path": "\#(log)", "sessions": true}, "#
            + #""state": {"path": "\#(kit.path("state.db"))", "flush_seconds": 0.5}, "#
            + #""rules": {"tls-downgrade": {"min_observations": 3, "min_days": 0}}}"#)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try LiveDaemonTests.Running(["run", "--config", config])
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))
        let port = Int.random(in: 26_100...26_999)

        let modern = try ProbeCommandTests.Server(kit, port: port, cert: "site.pem", key: "site.key", versions: ["-tls1_3"],
                                                  connections: 3)
        for _ in 0..<3 { try LiveDaemonTests.client(port: port, version: "-tls1_3") }
        modern.stop()
        #expect(FollowUpDaemonTests.waitFor(10) {
            LiveDaemonTests.lines(log).filter { FollowUpDaemonTests.port($0, "destination") == port && !FollowUpDaemonTests.isAlert($0) }
                .count >= 3
        })
        // (Other tests' handshakes on `lo` may be captured too: only this server's port counts.)
        #expect(!LiveDaemonTests.lines(log).contains { FollowUpDaemonTests.isAlert($0) && FollowUpDaemonTests.port($0, "destination") == port })

        // The same name and server, TLS 1.2 only, to a client offering 1.3 and 1.2.
        let old = try ProbeCommandTests.Server(kit, port: port, cert: "site.pem", key: "site.key", versions: ["-tls1_2"])
        defer { old.stop() }
        try LiveDaemonTests.client(port: port, version: "-no_ssl3")
        var downgrade: [String: Any]?
        _ = FollowUpDaemonTests.waitFor(10) {
            downgrade = LiveDaemonTests.lines(log).first {
                FollowUpDaemonTests.isAlert($0) && ($0["rule"] as? [String: Any])?["id"] as? String == "tls-downgrade"
                    && FollowUpDaemonTests.port($0, "destination") == port
            }
            return downgrade != nil
        }
        let alert = try #require(downgrade)
        #expect((alert["mitmwatch"] as? [String: Any])?["reasons"] as? [String] == ["version-downgrade"])
        #expect((alert["message"] as? String)?.contains("negotiated TLS 1.2 with TLS 1.3 offered") == true, "\(alert)")
        #expect((alert["tls"] as? [String: Any])?["version"] as? String == "1.2")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)

        // The store holds both profiles of the name.
        let history = try ReadCommandTests.run(["history", "www.facebook.example", "--state", kit.path("state.db")])
        #expect(history.status == 0, "\(history.stderr)")
    }
}
