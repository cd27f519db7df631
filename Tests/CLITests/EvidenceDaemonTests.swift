import Foundation
import TestSupport
import Testing

/// The daemon on `lo` writes an evidence bundle for each alert that is not a suppressed repeat,
/// names it in the alert (JSON log and journal fields alike), and counts it; `mitmwatch read` of
/// the bundle's pcap — the live capture's own frames — raises the same alerts.
@Suite(.serialized) struct EvidenceDaemonTests {
    @Test func eachAlertingSessionOfTheDaemonHasABundleThatReproducesIt() throws {
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let log = kit.path("alerts.json")
        let metrics = kit.path("mitmwatch.prom")
        let evidence = kit.path("evidence")
        let config = kit.path("config.json")
        try (#"{"interfaces": ["lo"], "journal": false, "json_log": {"path": "\#(log)"}, "state": {"enabled": false}, "#
            + #""sensor": {"name": "gw-evidence"}, "#
            + #""metrics": {"textfile": "\#(metrics)", "interval_seconds": 1}, "#
            + #""evidence": {"dir": "\#(evidence)", "max_bytes": 8388608}}"#).write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try LiveDaemonTests.Running(["run", "--config", config])
        defer { if daemon.process.isRunning { kill(daemon.process.processIdentifier, SIGKILL) } }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))

        // Two handshakes to one server (the second's alerts are suppressed repeats), one to another.
        let port = Int.random(in: 34_000...34_899)
        try LiveDaemonTests.handshake(kit, port: port)
        try LiveDaemonTests.handshake(kit, port: port)
        try LiveDaemonTests.handshake(kit, port: port + 50)
        let ours = { (alert: [String: Any]) -> Bool in
            let destination = (alert["destination"] as? [String: Any])?["port"] as? Int
            return (alert["event"] as? [String: Any])?["kind"] as? String == "alert" && (destination == port || destination == port + 50)
        }
        var alerts: [[String: Any]] = []
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            alerts = LiveDaemonTests.lines(log).filter(ours)
            if alerts.count >= 4 { break }
            usleep(100_000)
        }
        #expect(alerts.count == 4, "two alerts for each server, the repeats suppressed")
        let folders = Set(alerts.compactMap(EvidenceBundleTests.folder))
        #expect(folders.count == 2 && alerts.allSatisfy { EvidenceBundleTests.folder(of: $0) != nil })
        #expect(folders.allSatisfy { $0.hasPrefix(evidence + "/") })
        // Each alert says which sensor raised it (several gateways shipping to one place).
        #expect(alerts.allSatisfy { ($0["observer"] as? [String: Any])?["name"] as? String == "gw-evidence" })
        try EvidenceBundleTests.checkBundles(of: alerts, label: "live")
        for folder in folders {
            let pem = try String(contentsOfFile: folder + "/chain.pem", encoding: .utf8)
            #expect(pem.components(separatedBy: "-----BEGIN CERTIFICATE-----").count == 3)
            let session = try String(contentsOfFile: folder + "/session.json", encoding: .utf8)
            #expect(session.contains("\"dataset\":\"mitmwatch.tls\"") && session.contains("www.facebook.example"))
            #expect(session.contains("\"observer\":{\"name\":\"gw-evidence\"}"))
            // The bundle's pcap holds the connection from its SYN.
            let frames = try ReadCommandTests.run(["read", "--summary-format", "json", "--events", "sessions", "--format", "json",
                                                   folder + "/handshake.pcap"])
            #expect(frames.stdout.contains("\"roles_decided_by\":\"syn\""), "\(frames.stdout)")
        }

        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        let exposition = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
        let written = exposition.split(separator: "\n").first { $0.hasPrefix("mitmwatch_evidence_bundles_total{result=\"written\"} ") }
        // Other suites' handshakes on lo may raise alerts of their own: a lower bound.
        #expect((written?.split(separator: " ").last.flatMap { Int($0) } ?? 0) >= 2, "\(exposition)")
        #expect(exposition.contains("mitmwatch_evidence_frames_total{result=\"kept\"}"))
        #expect(exposition.contains("mitmwatch_evidence_bytes "))
    }
}
