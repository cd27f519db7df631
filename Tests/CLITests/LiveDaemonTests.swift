@testable import Daemon
import Foundation
import TestSupport
import Testing

/// The real daemon capturing live on the loopback interface while OpenSSL's s_server presents a
/// Kazakhstan-2019-shaped chain (a locally made replica: "Security Certificate" under "Qaznet
/// Trust Network", leaf with RSA exponent 3) to s_client.
@Suite(.serialized) struct LiveDaemonTests {
    /// Text collected from a pipe on another thread.
    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        func append(_ data: Data) { lock.lock(); text += String(decoding: data, as: UTF8.self); lock.unlock() }
        var value: String { lock.lock(); defer { lock.unlock() }; return text }
    }

    final class Running {
        let process = Process()
        let errors = Pipe()
        let collected = Collected()

        /// Runs the daemon (`executable` nil), or a wrapper that execs it in place (unshare, ip netns
        /// exec), so the process id is the daemon's either way.
        init(_ arguments: [String], environment: [String: String] = [:], executable: String? = nil) throws {
            process.executableURL = URL(fileURLWithPath: executable ?? ReadCommandTests.binary)
            process.arguments = arguments
            if !environment.isEmpty {
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            }
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            let collected = self.collected
            errors.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData) }
            try process.run()
        }

        deinit { errors.fileHandleForReading.readabilityHandler = nil }

        /// Waits (bounded, polling) until stderr contains `text`.
        func waitForStderr(_ text: String, seconds: Double = 10) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if collected.value.contains(text) { return true }
                usleep(50_000)
            }
            return collected.value.contains(text)
        }

        func signal(_ number: Int32) { kill(process.processIdentifier, number) }

        func waitForExit(seconds: Double = 10) -> Int32? {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning {
                process.terminate()
                return nil
            }
            return process.terminationStatus
        }
    }

    static func kazakhstanChain(_ kit: OpenSSLKit) throws {
        try kit.key("root")
        try kit.root("root", key: "root", subject: "/C=KZ/CN=Qaznet Trust Network")
        try kit.key("intermediate")
        try kit.issue("intermediate", key: "intermediate", subject: "/C=KZ/CN=Security Certificate", issuer: "root",
                      issuerKey: "root", extensions: ["basicConstraints=critical,CA:TRUE", "authorityKeyIdentifier=keyid",
                                                      "subjectKeyIdentifier=hash"])
        try kit.key("leaf", exponent: 3)
        try kit.issue("leaf", key: "leaf", subject: "/CN=www.facebook.example", issuer: "intermediate",
                      issuerKey: "intermediate", extensions: ["subjectAltName=DNS:www.facebook.example"])
    }

    /// One TLS 1.2 handshake to `host`:`port` (loopback by default) with OpenSSL, bounded in time;
    /// the server and the client each in a network namespace of the test's when given.
    static func handshake(_ kit: OpenSSLKit, port: Int, host: String = "127.0.0.1", serverNamespace: String? = nil,
                          clientNamespace: String? = nil) throws {
        let inNamespace = { (namespace: String?) in namespace.map { ["netns", "exec", $0] } ?? [] }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: serverNamespace == nil ? "/usr/bin/openssl" : "/usr/sbin/ip")
        // `ip netns exec` execs openssl in place: the process id stays the server's.
        server.arguments = inNamespace(serverNamespace) + (serverNamespace == nil ? [] : ["/usr/bin/openssl"])
            + ["s_server", "-accept", "\(host):\(port)", "-naccept", "1", "-tls1_2", "-quiet",
               "-cert", kit.path("leaf.pem"), "-key", kit.path("leaf.key"),
               "-cert_chain", kit.path("intermediate.pem")]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGTERM) }; server.waitUntilExit() }
        usleep(400_000)
        try client(host: host, port: port, version: "-tls1_2", namespace: clientNamespace)
    }

    /// OpenSSL's s_client: one handshake to `host`:`port` for www.facebook.example at `version`,
    /// at most 5 s, in `namespace` when given.
    static func client(host: String = "127.0.0.1", port: Int, version: String, namespace: String? = nil) throws {
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        client.arguments = ["5"] + (namespace.map { ["/usr/sbin/ip", "netns", "exec", $0] } ?? [])
            + ["/usr/bin/openssl", "s_client", "-connect", "\(host):\(port)", "-servername", "www.facebook.example", version]
        let input = Pipe()
        client.standardInput = input
        client.standardOutput = FileHandle.nullDevice
        client.standardError = FileHandle.nullDevice
        try client.run()
        input.fileHandleForWriting.write(Data("Q\n".utf8))
        try input.fileHandleForWriting.close()
        client.waitUntilExit()
    }

    static func lines(_ path: String) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test func liveAlertReachesTheJSONLogAndTheDaemonReloadsAndStopsCleanly() throws {
        let kit = try OpenSSLKit()
        try Self.kazakhstanChain(kit)
        try FileManager.default.createDirectory(atPath: kit.path("logs"), withIntermediateDirectories: true)
        let log = kit.path("logs/alerts.json")
        let metrics = kit.path("mitmwatch.prom")
        let config = kit.path("config.json")
        let goodConfig = #"{"interfaces": ["lo"], "json_log": {"path": "\#(log)", "sessions": true}, "#
            + #""metrics": {"textfile": "\#(metrics)", "interval_seconds": 1}}"#
        try goodConfig.write(toFile: config, atomically: true, encoding: .utf8)
        let journald = try Journald.start()  // a real systemd-journald (the running one, or started here)
        defer { journald.stop() }
        let daemon = try Running(["run", "--config", config])
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))
        let port = Int.random(in: 21_000...21_999)
        try Self.handshake(kit, port: port)

        // Other suites run handshakes on lo at the same time, and this daemon sees them too: wait
        // for this handshake's alerts.
        var alerts: [[String: Any]] = []
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            alerts = Self.lines(log).filter { ($0["event"] as? [String: Any])?["kind"] as? String == "alert"
                && ($0["destination"] as? [String: Any])?["port"] as? Int == port }
            if alerts.count >= 2 { break }
            usleep(100_000)
        }
        let rules = alerts.compactMap { ($0["rule"] as? [String: Any])?["id"] as? String }
        #expect(rules.contains("known-interception-ca"))
        #expect(rules.contains("interception-shape"))
        #expect(alerts.contains { ($0["destination"] as? [String: Any])?["port"] as? Int == port })

        // The same alert in the journal, with its structured fields.
        let entries = try Journald.entries(matching: "MITMWATCH_SERVER=127.0.0.1:\(port)", count: 2)
        let journalRules = Set(entries.compactMap { $0["MITMWATCH_RULE"] })
        #expect(journalRules == ["known-interception-ca", "interception-shape"])
        let critical = entries.first { $0["MITMWATCH_RULE"] == "known-interception-ca" }
        #expect(critical?["PRIORITY"] == "2")
        #expect(critical?["MESSAGE_ID"] == JournalMessageID.rule(.knownInterceptionCA))
        #expect(critical?["MITMWATCH_SNI"] == "www.facebook.example")
        #expect(critical?["MESSAGE"]?.contains("traffic to this site is being decrypted") == true)

        // The log's directory disappears: the reopen on SIGHUP fails, is reported, and the next
        // alert still reaches the journal.
        try FileManager.default.removeItem(atPath: kit.path("logs"))
        daemon.signal(SIGHUP)
        #expect(daemon.waitForStderr("configuration reloaded"))
        let secondPort = port + 1
        try Self.handshake(kit, port: secondPort)
        let second = try Journald.entries(matching: "MITMWATCH_SERVER=127.0.0.1:\(secondPort)", count: 2)
        #expect(Set(second.compactMap { $0["MITMWATCH_RULE"] }) == ["known-interception-ca", "interception-shape"])
        #expect(daemon.waitForStderr("alerts still go to the journal"))

        // SIGHUP with a broken config: rejected, the daemon keeps running.
        try "{ not json".write(toFile: config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(daemon.waitForStderr("rejected, keeping the running one"))
        #expect(daemon.process.isRunning)
        // SIGHUP with a good config (and the log directory back): reloaded, logging resumes.
        try FileManager.default.createDirectory(atPath: kit.path("logs"), withIntermediateDirectories: true)
        try goodConfig.write(toFile: config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(daemon.waitForStderr("is writable again") || daemon.waitForStderr("configuration reloaded"))
        daemon.signal(SIGUSR1)
        #expect(daemon.waitForStderr("tls sessions"))
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)

        // The metrics textfile counts what happened, the lost log line included. (Other live tests
        // may run handshakes on lo at the same time, so counts are lower bounds.)
        let exposition = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
        let alertLine = exposition.split(separator: "\n").first { $0.hasPrefix("mitmwatch_alerts_total{rule=\"known-interception-ca\"} ") }
        #expect((alertLine?.split(separator: " ").last.flatMap { Int($0) } ?? 0) >= 2)
        #expect(exposition.contains("# TYPE mitmwatch_packets_total counter"))
        #expect(!exposition.contains("mitmwatch_log_write_failures_total 0"))
    }

    @Test func missingInterfaceIsRetriedNotFatal() throws {
        let daemon = try Running(["run", "-i", "mwtest0"])
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        #expect(daemon.waitForStderr("cannot capture on mwtest0"))
        #expect(daemon.waitForStderr("retrying"))
        #expect(daemon.process.isRunning)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
    }

    @Test func badConfigIsAClearErrorNamingTheKey() throws {
        let kit = try OpenSSLKit()
        let config = kit.path("config.json")
        try #"{"interfaces": ["lo"], "limits": {"max_flows": -5}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let check = try ReadCommandTests.run(["check-config", config])
        #expect(check.status == 1)
        #expect(check.stderr.contains("key 'limits.max_flows': expected an integer from 1 to 100000000, got -5"))
        let run = try ReadCommandTests.run(["run", "--config", config])
        #expect(run.status == 1)
        #expect(run.stderr.contains("limits.max_flows"))
        let none = try ReadCommandTests.run(["run"])
        #expect(none.status != 0)
        #expect(none.stderr.contains("no interface"))
    }
}

@Suite struct ConfigExampleTests {
    @Test func theShippedExampleIsValid() throws {
        let example = ReadCommandTests.root.appendingPathComponent("config.example.json").path
        let result = try ReadCommandTests.run(["check-config", example])
        #expect(result.status == 0)
        #expect(result.stdout.contains("ok — interfaces eth0"))
    }
}

@Suite(.serialized) struct PrivilegeDropTests {
    /// Started as root with `--user nobody`: after opening capture, the daemon runs as nobody with
    /// CAP_NET_RAW alone, and still captures and alerts.
    @Test func runsAsAnUnprivilegedUserKeepingOnlyCapNetRaw() throws {
        guard getuid() == 0 else {
            Issue.record("this test needs root (CI and the sandbox run as root)")
            return
        }
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let log = kit.path("alerts.json")
        let daemon = try LiveDaemonTests.Running(["run", "-i", "lo", "--json-log", log, "--user", "nobody"])
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        #expect(daemon.waitForStderr("running as nobody with CAP_NET_RAW only"))
        let status = (try? String(contentsOfFile: "/proc/\(daemon.process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let field = { (name: String) in
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }.map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) } ?? ""
        }
        #expect(field("Uid").split(separator: "\t").allSatisfy { $0 == "65534" })
        #expect(field("CapEff") == "0000000000002000")
        #expect(field("CapPrm") == "0000000000002000")
        // Capabilities belong to threads: every thread (the capture workers too) has CAP_NET_RAW alone.
        let tasks = Self.threadCapabilities(daemon.process.processIdentifier)
        #expect(tasks.count >= 2, "main thread and a capture worker")
        for (task, capabilities) in tasks {
            #expect(capabilities == ["0000000000002000", "0000000000002000"], "thread \(task): CapEff, CapPrm \(capabilities)")
        }
        let port = Int.random(in: 22_000...22_999)
        try LiveDaemonTests.handshake(kit, port: port)
        var found = false
        let deadline = Date().addingTimeInterval(10)
        while !found && Date() < deadline {
            found = LiveDaemonTests.lines(log).contains { ($0["rule"] as? [String: Any])?["id"] as? String == "known-interception-ca" }
            usleep(100_000)
        }
        #expect(found)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
    }

    /// The same with two AF_PACKET capture threads: sockets are opened, privileges dropped, and
    /// only then the workers started, so every thread has CAP_NET_RAW alone.
    @Test func captureWorkersStartWithCapNetRawOnly() throws {
        guard getuid() == 0 else {
            Issue.record("this test needs root (CI and the sandbox run as root)")
            return
        }
        let kit = try OpenSSLKit()
        let config = kit.path("config.json")
        try #"{"interfaces": ["lo"], "capture": {"method": "af-packet", "workers": 2}, "journal": false}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try LiveDaemonTests.Running(["run", "--config", config, "--user", "nobody"])
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        #expect(daemon.waitForStderr("mitmwatch started on lo with 2 capture threads"))
        let tasks = Self.threadCapabilities(daemon.process.processIdentifier)
        #expect(tasks.count >= 3, "main thread and two capture workers")
        for (task, capabilities) in tasks {
            #expect(capabilities == ["0000000000002000", "0000000000002000"], "thread \(task): CapEff, CapPrm \(capabilities)")
        }
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
    }

    /// CapEff and CapPrm of every thread of `pid`, by thread name and id.
    static func threadCapabilities(_ pid: Int32) -> [(String, [String])] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.sorted().map { task in
            let directory = "/proc/\(pid)/task/\(task)/"
            let status = (try? String(contentsOfFile: directory + "status", encoding: .utf8)) ?? ""
            let name = ((try? String(contentsOfFile: directory + "comm", encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
            let capabilities = ["CapEff", "CapPrm"].map { key in
                status.split(separator: "\n").first { $0.hasPrefix(key + ":") }
                    .map { $0.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces) } ?? ""
            }
            return ("\(name) \(task)", capabilities)
        }
    }
}

@Suite(.serialized) struct NotifyTests {
    /// Under a service manager (`NOTIFY_SOCKET`, `WATCHDOG_USEC`): READY, STATUS with counters,
    /// WATCHDOG and STOPPING arrive on the socket.
    @Test func daemonTalksToTheServiceManager() throws {
        let path = DatagramReceiver.temporaryPath()
        let receiver = try DatagramReceiver(name: path)
        defer { _ = unsafe unlink(path) }
        let daemon = try LiveDaemonTests.Running(["run", "-i", "lo"],
                                                 environment: ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"])
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(8)
        while Date() < deadline, !(messages.contains("READY=1") && messages.contains("WATCHDOG=1")
                                   && messages.contains { $0.hasPrefix("STATUS=") }) {
            if let message = receiver.receive() { messages.append(message) }
        }
        #expect(messages.contains("READY=1"))
        #expect(messages.contains("WATCHDOG=1"))
        #expect(messages.contains { $0.hasPrefix("STATUS=packets ") })
        daemon.signal(SIGTERM)
        var stopping = false
        let stopDeadline = Date().addingTimeInterval(5)
        while !stopping && Date() < stopDeadline {
            if let message = receiver.receive() { stopping = message.hasPrefix("STOPPING=1") }
        }
        #expect(stopping)
        #expect(daemon.waitForExit() == 0)
    }
}
