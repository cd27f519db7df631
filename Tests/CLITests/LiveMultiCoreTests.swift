@testable import Daemon
import Foundation
import TestSupport
import Testing

/// The real daemon with AF_PACKET capture and two capture threads (one fanout socket each) on
/// the loopback interface, against OpenSSL's s_server presenting the Kazakhstan-2019-shaped chain
/// of `LiveDaemonTests`.
@Suite(.serialized) struct LiveMultiCoreTests {
    static func field(_ object: [String: Any], _ path: String) -> Any? {
        var value: Any? = object
        for key in path.split(separator: ".") { value = (value as? [String: Any])?[String(key)] }
        return value
    }

    /// `name{labels} value` lines of a Prometheus exposition, by name with labels.
    static func samples(_ exposition: String) -> [String: Int] {
        var result: [String: Int] = [:]
        for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Int(parts[1]) { result[String(parts[0])] = value }
        }
        return result
    }

    @Test func twoAFPacketWorkersDetectInterceptionAndReportEverySessionOnce() throws {
        guard getuid() == 0 else { Issue.record("this test needs root (CI and the sandbox run as root)"); return }
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let log = kit.path("alerts.json")
        let metrics = kit.path("mitmwatch.prom")
        let config = kit.path("config.json")
        try (#"{"interfaces": ["lo"], "capture": {"method": "af-packet", "workers": 2}, "journal": false, "#
            + #""json_log": {"path": "\#(log)", "sessions": true}, "metrics": {"textfile": "\#(metrics)", "interval_seconds": 1}}"#)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try LiveDaemonTests.Running(["run", "--config", config])
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        #expect(daemon.waitForStderr("mitmwatch started on lo with 2 capture threads"))

        // Several connections, each to its own server port; then stop at once: whatever the
        // workers still hold is read and reported before the daemon exits.
        let base = Int.random(in: 23_000...23_900)
        let ports = Array(base..<base + 8)
        for port in ports { try LiveDaemonTests.handshake(kit, port: port) }
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)

        let records = LiveDaemonTests.lines(log)
        for port in ports {
            let mine = records.filter { Self.field($0, "destination.port") as? Int == port }
            let sessions = mine.filter { Self.field($0, "event.kind") as? String == "event" }
            let rules = mine.filter { Self.field($0, "event.kind") as? String == "alert" }.compactMap { Self.field($0, "rule.id") as? String }
            // Exactly once: both directions of a connection reach one worker, never two.
            #expect(sessions.count == 1, "port \(port): \(sessions.count) session records")
            #expect(rules.sorted() == ["interception-shape", "known-interception-ca"], "port \(port): alerts \(rules)")
            #expect(sessions.first.flatMap { Self.field($0, "tls.client.server_name") as? String } == "www.facebook.example")
        }

        // Both workers in the metrics, adding up to the totals.
        let exposition = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
        let values = Self.samples(exposition)
        #expect(values["mitmwatch_workers"] == 2)
        let perWorker = [values["mitmwatch_worker_packets_total{worker=\"0\"}"], values["mitmwatch_worker_packets_total{worker=\"1\"}"]]
        #expect(perWorker.allSatisfy { $0 != nil })
        #expect(perWorker.compactMap { $0 }.reduce(0, +) == values["mitmwatch_packets_total"])
        #expect((values["mitmwatch_packets_total"] ?? 0) > 0)
        #expect(values["mitmwatch_worker_kernel_dropped_total{worker=\"0\",interface=\"lo\"}"] != nil)
        #expect(values["mitmwatch_worker_kernel_dropped_total{worker=\"1\",interface=\"lo\"}"] != nil)
        #expect(values["mitmwatch_kernel_received_total{interface=\"lo\"}"] ?? 0 >= values["mitmwatch_packets_total"] ?? 0)
        #expect((values["mitmwatch_alerts_total{rule=\"known-interception-ca\"}"] ?? 0) >= ports.count)
    }

    @Test func workersNeedAFPacket() throws {
        let kit = try OpenSSLKit()
        let config = kit.path("config.json")
        try #"{"interfaces": ["lo"], "capture": {"method": "pcap", "workers": 2}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let check = try ReadCommandTests.run(["check-config", config])
        #expect(check.status == 1)
        #expect(check.stderr.contains("key 'capture.workers': 2 needs capture.method \"af-packet\" or \"auto\""))
        let run = try ReadCommandTests.run(["run", "--config", config])
        #expect(run.status == 1)
        #expect(run.stderr.contains("capture.workers"))

        for (body, message) in [(#"{"capture": {"method": "netmap"}}"#, "key 'capture.method': \"netmap\" is not one of auto, af-packet, pcap"),
                                (#"{"capture": {"workers": 65}}"#, "key 'capture.workers': expected an integer from 1 to 64, got 65"),
                                (#"{"capture": {"fanout_group": 70000}}"#, "key 'capture.fanout_group': expected an integer from 0 to 65535, got 70000")] {
            try body.write(toFile: config, atomically: true, encoding: .utf8)
            let result = try ReadCommandTests.run(["check-config", config])
            #expect(result.status == 1)
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }
        try #"{"interfaces": ["lo"], "capture": {"method": "af-packet", "workers": 4, "fanout_group": 4242}}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let good = try ReadCommandTests.run(["check-config", config])
        #expect(good.status == 0)
        #expect(good.stdout.contains("capture af-packet with 4 workers (fanout group 4242)"))
    }

    /// An interface that disappears under two workers is reported once, every worker lets go of
    /// it, and it is captured again (by both) when it comes back.
    @Test func aLostInterfaceIsReportedOnceAndReopenedForEveryWorker() throws {
        guard getuid() == 0 else { Issue.record("this test needs root (CI and the sandbox run as root)"); return }
        let name = "mwafp\(Int.random(in: 100...999))"
        func ip(_ arguments: String) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["ip"] + arguments.split(separator: " ").map(String.init)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        func addInterface() throws -> Bool {
            try ip("link add \(name) type veth peer name \(name)p") == 0 && ip("link set \(name) up") == 0
        }
        guard try addInterface() else { Issue.record("cannot make a veth pair here"); return }
        defer { _ = try? ip("link del \(name)") }

        let kit = try OpenSSLKit()
        let config = kit.path("config.json")
        try (#"{"interfaces": ["\#(name)"], "capture": {"method": "af-packet", "workers": 2, "fanout_group": \#(Int.random(in: 30_000...39_999)), "#
            + #""retry_seconds": 0.2, "max_retry_seconds": 0.4}, "journal": false}"#).write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try LiveDaemonTests.Running(["run", "--config", config])
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        #expect(daemon.waitForStderr("mitmwatch started on \(name) with 2 capture threads"))

        #expect(try ip("link del \(name)") == 0)
        #expect(daemon.waitForStderr("interface \(name) failed"))
        usleep(1_500_000)  // several retries, each failing quietly
        #expect(daemon.collected.value.components(separatedBy: "interface \(name) failed").count == 2, "\(daemon.collected.value)")
        #expect(!daemon.collected.value.contains("cannot capture on \(name)"))

        #expect(try addInterface())
        #expect(daemon.waitForStderr("interface \(name) is back; capturing"))
        #expect(daemon.process.isRunning)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
    }
}
