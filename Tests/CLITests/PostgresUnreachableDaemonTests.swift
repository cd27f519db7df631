import Foundation
import TestSupport
import Testing

/// A shared store that does not answer — a server that takes connections and never replies, so
/// every connect waits for libpq's `connect_timeout` — holds neither capture nor alerts back: the
/// history seed and the saved deduplication state are read on threads of their own.
@Suite(.serialized) struct PostgresUnreachableDaemonTests {
    @Test func aServerThatNeverAnswersDoesNotDelayCaptureOrAlerts() throws {
        // A listening socket nobody accepts on: the TCP handshake completes, libpq then waits.
        let silent = Process()
        silent.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        silent.arguments = ["-c", "import socket, time\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen(64)\n"
            + "print(s.getsockname()[1], flush=True)\ntime.sleep(60)"]
        let portPipe = Pipe()
        silent.standardOutput = portPipe
        try silent.run()
        defer { kill(silent.processIdentifier, SIGKILL); silent.waitUntilExit() }
        let line = String(decoding: portPipe.fileHandleForReading.availableData, as: UTF8.self)
        let silentPort = try #require(Int(line.trimmingCharacters(in: .whitespacesAndNewlines)))

        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let log = kit.path("alerts.json")
        let config = kit.path("config.json")
        try (#"{"interfaces": ["lo"], "journal": false, "json_log": {"path": "\#(log)"}, "evidence": {"enabled": false}, "#
            + #""sensor": {"name": "gw-silent"}, "#
            + #""state": {"url": "postgresql://mitmwatch:secret@127.0.0.1:\#(silentPort)/mitmwatch?connect_timeout=10&sslmode=disable"}}"#)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let started = Date()
        let daemon = try LiveDaemonTests.Running(["run", "--config", config])
        defer { if daemon.process.isRunning { kill(daemon.process.processIdentifier, SIGKILL) } }
        #expect(daemon.waitForStderr("mitmwatch started on lo", seconds: 8))
        // Before: the seed and the dedup state each waited out the 10 s connect timeout first.
        #expect(Date().timeIntervalSince(started) < 5, "started after \(Date().timeIntervalSince(started)) s")

        let port = Int.random(in: 35_000...35_899)
        try LiveDaemonTests.handshake(kit, port: port)
        var alerts: [[String: Any]] = []
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            alerts = LiveDaemonTests.lines(log).filter { ($0["destination"] as? [String: Any])?["port"] as? Int == port }
            if !alerts.isEmpty { break }
            usleep(100_000)
        }
        #expect(!alerts.isEmpty, "the alert went out while the store was away")
        #expect(Date().timeIntervalSince(started) < 9, "alerted after \(Date().timeIntervalSince(started)) s")
        #expect(!daemon.collected.value.contains("secret"), "the password is never said")
        daemon.signal(SIGTERM)
        _ = daemon.waitForExit(seconds: 40)
    }
}
