@testable import Daemon
import Detector
import Foundation
import Synchronization
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
import Certificates
#endif

/// The real daemon under faults of its surroundings (issue "Step 6: hostile networks"): a full
/// disk, its log directory removed, journald absent, restarted and stalled, its capture interface
/// deleted and re-created, a SIGHUP storm, a config or an indicator file replaced by garbage. In
/// each, an interception alert from a real OpenSSL session mixed in must still be delivered, the
/// fault said once (lines counted), counted in the metrics textfile, and the daemon must still be
/// alive and exit 0 on SIGTERM. Needs root (tmpfs mounts, mount and network namespaces, veth).
@Suite(.serialized) struct DaemonFaultTests {
    typealias Running = LiveDaemonTests.Running

    // MARK: 1. JSON log disk full

    @Test func aFullDiskLosesNoAlertAndTheLogResumesWhenSpaceIsFreed() throws {
        guard getuid() == 0 else { Issue.record("this test needs root (CI and the sandbox run as root)"); return }
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let disk = kit.path("disk")
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        guard Self.command("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", disk]) == 0 else {
            Issue.record("cannot mount a tmpfs here"); return
        }
        defer { _ = Self.command("/bin/umount", ["-l", disk]) }
        let log = disk + "/alerts.json"
        let metrics = kit.path("mitmwatch.prom")
        let config = kit.path("config.json")
        try (#"{"interfaces": ["lo"], "json_log": {"path": "\#(log)"}, "metrics": {"textfile": "\#(metrics)", "interval_seconds": 1}}"#)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let journald = try Journald.start()
        defer { journald.stop() }
        let daemon = try Running(["run", "--config", config])
        defer { Self.cleanUp(daemon) }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))

        let base = Int.random(in: 24_000...24_900)
        // Room on the disk: the alert is in the log.
        try LiveDaemonTests.handshake(kit, port: base)
        #expect(Self.waitForRules([log], port: base) == Self.kazakhstanRules)

        // The disk fills up: alerts still reach the journal, the failure is said once.
        let filler = disk + "/filler"
        #expect(Self.fill(filler) > 0)
        for port in [base + 1, base + 2] {
            try LiveDaemonTests.handshake(kit, port: port)
            let entries = try Journald.entries(matching: "MITMWATCH_SERVER=127.0.0.1:\(port)", count: 2)
            #expect(Set(entries.compactMap { $0["MITMWATCH_RULE"] }) == Set(Self.kazakhstanRules), "port \(port)")
        }
        let failure = "JSON log \(log): write failed: No space left on device; alerts still go to the journal"
        #expect(daemon.waitForStderr(failure))
        #expect(Self.count(failure, in: daemon.collected.value) == 1, "\(daemon.collected.value)")
        // Every alert line of those two sessions the log could not take is counted (the first may
        // still fit in the room left in the log's last page).
        let written = Self.alerts(in: [log], port: base + 1).count + Self.alerts(in: [log], port: base + 2).count
        #expect(written < 4)
        #expect(Self.eventually { (Self.metrics(metrics)["mitmwatch_log_write_failures_total"] ?? 0) >= 4 - written },
                "\(written) written; \(Self.metrics(metrics))")

        // Space freed: writing resumes by itself, said once.
        try FileManager.default.removeItem(atPath: filler)
        try LiveDaemonTests.handshake(kit, port: base + 3)
        #expect(Self.waitForRules([log], port: base + 3) == Self.kazakhstanRules)
        #expect(daemon.waitForStderr("JSON log \(log) is writable again"))
        #expect(Self.count("JSON log \(log) is writable again", in: daemon.collected.value) == 1)
        // No record was left half-written when the disk ran out mid-line.
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(text.hasSuffix("\n"))
        #expect(lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) is [String: Any] }, "\(text)")

        #expect(kill(daemon.process.processIdentifier, 0) == 0)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        Self.show(daemon)
    }

    // MARK: 2. Log (and metrics) directory removed while running

    @Test func aRemovedLogDirectoryIsNoticedWithoutASignalAndWritingResumesWhenItIsBack() throws {
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let logs = kit.path("logs"), metricsDirectory = kit.path("metrics")
        for directory in [logs, metricsDirectory] { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let log = logs + "/alerts.json"
        let metrics = metricsDirectory + "/mitmwatch.prom"
        let config = kit.path("config.json")
        try (#"{"interfaces": ["lo"], "json_log": {"path": "\#(log)"}, "metrics": {"textfile": "\#(metrics)", "interval_seconds": 1}}"#)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let journald = try Journald.start()
        defer { journald.stop() }
        let daemon = try Running(["run", "--config", config])
        defer { Self.cleanUp(daemon) }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))
        let base = Int.random(in: 25_000...25_900)
        try LiveDaemonTests.handshake(kit, port: base)
        #expect(Self.waitForRules([log], port: base) == Self.kazakhstanRules)

        // Both directories go away; no SIGHUP. The next alert notices the log file is gone.
        try FileManager.default.removeItem(atPath: logs)
        try FileManager.default.removeItem(atPath: metricsDirectory)
        for port in [base + 1, base + 2] {
            try LiveDaemonTests.handshake(kit, port: port)
            let entries = try Journald.entries(matching: "MITMWATCH_SERVER=127.0.0.1:\(port)", count: 2)
            #expect(Set(entries.compactMap { $0["MITMWATCH_RULE"] }) == Set(Self.kazakhstanRules), "port \(port)")
        }
        let failure = "JSON log \(log): cannot open: No such file or directory; alerts still go to the journal"
        #expect(daemon.waitForStderr(failure))
        let metricsFailure = "cannot write metrics to \(metrics): No such file or directory"
        #expect(daemon.waitForStderr(metricsFailure))
        usleep(2_500_000)  // more metrics intervals, each failing quietly
        #expect(Self.count(failure, in: daemon.collected.value) == 1, "\(daemon.collected.value)")
        #expect(Self.count(metricsFailure, in: daemon.collected.value) == 1, "\(daemon.collected.value)")

        // The directories come back: the log is created anew at the next alert, metrics at the next interval.
        for directory in [logs, metricsDirectory] { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        try LiveDaemonTests.handshake(kit, port: base + 3)
        #expect(Self.waitForRules([log], port: base + 3) == Self.kazakhstanRules)
        #expect(daemon.waitForStderr("JSON log \(log) is writable again"))
        #expect(daemon.waitForStderr("metrics \(metrics) written again"))
        #expect(Self.count("JSON log \(log) is writable again", in: daemon.collected.value) == 1)
        #expect(Self.eventually {
            let values = Self.metrics(metrics)
            return (values["mitmwatch_log_write_failures_total"] ?? 0) >= 4 && (values["mitmwatch_metrics_write_failures_total"] ?? 0) >= 2
        }, "\(Self.metrics(metrics))")

        #expect(kill(daemon.process.processIdentifier, 0) == 0)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        Self.show(daemon)
    }

    // MARK: 3. journald absent at start, restarted, stalled

    /// The daemon runs in a mount namespace of its own where `/run/systemd/journal` is a directory
    /// of the test's, served (or not) by a journald of the test's in its own journal namespace, so
    /// the journald other tests share is never touched.
    @Test func alertsReachAJournaldThatStartsLateRestartsAndStallsAndStderrMeanwhile() throws {
        guard getuid() == 0 else { Issue.record("this test needs root (CI and the sandbox run as root)"); return }
        guard let journaldBinary = Journald.binaries.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            Issue.record("systemd-journald is not installed: run scripts/setup.sh"); return
        }
        let namespace = "mwfault\(Int.random(in: 10_000...99_999))"
        let socketDirectory = "/run/systemd/journal.\(namespace)"
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        let journal = TestJournald(binary: journaldBinary, namespace: namespace)
        defer {
            journal.stop()
            Self.removeJournalNamespace(namespace, socketDirectory: socketDirectory)
        }

        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let log = kit.path("alerts.json"), metrics = kit.path("mitmwatch.prom"), config = kit.path("config.json")
        try (#"{"interfaces": ["lo"], "json_log": {"path": "\#(log)"}, "metrics": {"textfile": "\#(metrics)", "interval_seconds": 1}}"#)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try Running(["--mount", "--propagation", "private", "/bin/sh", "-c",
                                  "mount --bind \(socketDirectory) /run/systemd/journal && exec \"$0\" \"$@\"",
                                  ReadCommandTests.binary, "run", "--config", config], executable: "/usr/bin/unshare")
        defer { Self.cleanUp(daemon) }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))
        let unreachable = "journal \(JournalWriter.defaultSocketPath): cannot send ("
        let back = "journal \(JournalWriter.defaultSocketPath) takes entries again"

        // No journald at start: said once; the alert goes to stderr in words (and to the JSON log).
        #expect(daemon.waitForStderr(unreachable + "No such file or directory)"))
        let base = Int.random(in: 26_000...26_900)
        try LiveDaemonTests.handshake(kit, port: base)
        #expect(Self.waitForStderrAlerts(daemon, host: "127.0.0.1", port: base))
        #expect(Self.waitForRules([log], port: base) == Self.kazakhstanRules)

        // journald starts: the next alert reaches it.
        try journal.start()
        try LiveDaemonTests.handshake(kit, port: base + 1)
        #expect(try Self.namespacedRules(namespace, port: base + 1) == Set(Self.kazakhstanRules))
        #expect(daemon.waitForStderr(back))
        #expect(!daemon.collected.value.contains("(127.0.0.1:\(base + 1))"), "went to the journal, not stderr")

        // journald stops: stderr again, said once; it restarts: the next alert reaches the new one.
        journal.stop()
        try LiveDaemonTests.handshake(kit, port: base + 2)
        #expect(Self.waitForStderrAlerts(daemon, host: "127.0.0.1", port: base + 2))
        try journal.start()
        try LiveDaemonTests.handshake(kit, port: base + 3)
        #expect(try Self.namespacedRules(namespace, port: base + 3) == Set(Self.kazakhstanRules))
        #expect(Self.count(unreachable, in: daemon.collected.value) == 2, "\(daemon.collected.value)")
        #expect(Self.eventually { Self.count(back, in: daemon.collected.value) == 2 })

        // journald stalls with its queue full (EAGAIN): the send waits a few ms, gives up, and the
        // alert goes to stderr; the daemon stays responsive.
        kill(journal.pid, SIGSTOP)
        #expect(Self.fillQueue(socketDirectory + "/socket") >= 10)
        try LiveDaemonTests.handshake(kit, port: base + 4)
        #expect(Self.waitForStderrAlerts(daemon, host: "127.0.0.1", port: base + 4))
        #expect(daemon.waitForStderr(unreachable + "Resource temporarily unavailable)"))
        daemon.signal(SIGUSR1)
        #expect(daemon.waitForStderr("journal send failures", seconds: 3))
        kill(journal.pid, SIGCONT)
        usleep(300_000)
        try LiveDaemonTests.handshake(kit, port: base + 5)
        #expect(try Self.namespacedRules(namespace, port: base + 5) == Set(Self.kazakhstanRules))
        #expect(Self.count(unreachable, in: daemon.collected.value) == 3, "\(daemon.collected.value)")
        #expect(Self.eventually { Self.count(back, in: daemon.collected.value) == 3 })

        // Counted: the six alerts that went to stderr at least.
        #expect(Self.eventually { (Self.metrics(metrics)["mitmwatch_journal_send_failures_total"] ?? 0) >= 6 },
                "\(Self.metrics(metrics))")
        #expect(kill(daemon.process.processIdentifier, 0) == 0)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        Self.show(daemon)
    }

    /// The writer's bounded wait for room in a full queue (nobody reading: `net.unix.max_dgram_qlen`
    /// entries, then EAGAIN after a few ms), and a burst into a slow reader that all arrives.
    @Test func journalSendsWaitBrieflyForRoomAndNeverBlock() throws {
        let stalled = try DatagramReceiver(name: DatagramReceiver.temporaryPath())
        let writer = JournalWriter(socketPath: stalled.name)
        var sent = 0
        while sent < 200, writer.send([("MESSAGE", "entry \(sent)")]) { sent += 1 }
        #expect((10...100).contains(sent), "\(sent) entries fitted in the queue")
        #expect(writer.lastError == EAGAIN)
        #expect(writer.waitedForRoom == 1)
        // Once a wait ran out, sends fail at once for a while: a stalled journald costs nothing more.
        let start = Daemon.now()
        #expect(!writer.send([("MESSAGE", "no room")]))
        #expect(Daemon.now() - start < 0.1)
        #expect(writer.waitedForRoom == 1)

        let slow = try DatagramReceiver(name: DatagramReceiver.temporaryPath())
        let burst = JournalWriter(socketPath: slow.name)
        let received = Tally()
        let socket = slow.descriptor
        let reader = Thread {
            // One datagram every half millisecond or so (recv gives up after the receiver's 5 s timeout).
            var buffer = [UInt8](repeating: 0, count: 4096)
            while received.value < 300 {
                // unsafe: recv writes at most the buffer's count into it.
                guard unsafe buffer.withUnsafeMutableBytes({ unsafe recv(socket, $0.baseAddress, $0.count, 0) }) >= 0 else { break }
                received.add()
                usleep(500)
            }
        }
        reader.start()
        var failed = 0
        for index in 0..<300 where !burst.send([("MESSAGE", "burst \(index)")]) { failed += 1 }
        #expect(failed == 0, "errno \(burst.lastError)")
        #expect(burst.waitedForRoom > 0, "the burst outran the reader, so some entries waited")
        #expect(Self.eventually(seconds: 5) { received.value == 300 })
    }

    // MARK: 4. Capture interface deleted and re-created

    /// A veth pair between two network namespaces of the test's: the server in one, the client
    /// and the daemon (two AF_PACKET workers on the client's end) in the other.
    @Test func anInterfaceDeletedAndRecreatedIsCapturedAgainAndDetects() throws {
        guard getuid() == 0 else { Issue.record("this test needs root (CI and the sandbox run as root)"); return }
        let id = Int.random(in: 100...999)
        let serverNamespace = "mwfs\(id)", clientNamespace = "mwfc\(id)"
        let link = "mwfv\(id)", peer = "mwfv\(id)p"
        let subnet = "198.18.\(id % 250).", serverAddress = "198.18.\(id % 250).1"
        func ip(_ arguments: String) -> Int32 { Self.command("/usr/sbin/ip", arguments.split(separator: " ").map(String.init)) }
        func makeLink() -> Bool {
            ip("link add \(link) netns \(clientNamespace) type veth peer name \(peer) netns \(serverNamespace)") == 0
                && ip("-n \(clientNamespace) addr add \(subnet)2/24 dev \(link)") == 0
                && ip("-n \(serverNamespace) addr add \(serverAddress)/24 dev \(peer)") == 0
                && ip("-n \(clientNamespace) link set \(link) up") == 0 && ip("-n \(serverNamespace) link set \(peer) up") == 0
        }
        guard ip("netns add \(serverNamespace)") == 0 else { Issue.record("cannot make network namespaces here"); return }
        defer { _ = ip("netns del \(serverNamespace)") }  // takes the veth pair with it
        guard ip("netns add \(clientNamespace)") == 0 else { Issue.record("cannot make network namespaces here"); return }
        defer { _ = ip("netns del \(clientNamespace)") }
        _ = ip("-n \(serverNamespace) link set lo up")
        _ = ip("-n \(clientNamespace) link set lo up")
        guard makeLink() else { Issue.record("cannot make a veth pair here"); return }

        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let log = kit.path("alerts.json"), metrics = kit.path("mitmwatch.prom"), config = kit.path("config.json")
        try (#"{"interfaces": ["\#(link)"], "capture": {"method": "af-packet", "workers": 2, "fanout_group": \#(Int.random(in: 40_000...49_999)), "#
            + #""retry_seconds": 0.2, "max_retry_seconds": 0.4}, "journal": false, "json_log": {"path": "\#(log)"}, "#
            + #""metrics": {"textfile": "\#(metrics)", "interval_seconds": 1}}"#).write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try Running(["netns", "exec", clientNamespace, ReadCommandTests.binary, "run", "--config", config],
                                 executable: "/usr/sbin/ip")
        defer { Self.cleanUp(daemon) }
        #expect(daemon.waitForStderr("mitmwatch started on \(link) with 2 capture threads"))
        let base = Int.random(in: 27_000...27_900)
        try LiveDaemonTests.handshake(kit, port: base, host: serverAddress, serverNamespace: serverNamespace, clientNamespace: clientNamespace)
        #expect(Self.waitForRules([log], port: base) == Self.kazakhstanRules)

        // Deleted: said once, retried quietly.
        #expect(ip("-n \(clientNamespace) link del \(link)") == 0)
        #expect(daemon.waitForStderr("interface \(link) failed"))
        usleep(1_500_000)
        #expect(Self.count("interface \(link) failed", in: daemon.collected.value) == 1, "\(daemon.collected.value)")
        #expect(!daemon.collected.value.contains("cannot capture on \(link)"))
        #expect(Self.eventually { Self.metrics(metrics)["mitmwatch_interface_up{interface=\"\(link)\"}"] == 0 })

        // Re-created: captured again by both workers, and a session across it is detected.
        #expect(makeLink())
        #expect(daemon.waitForStderr("interface \(link) is back; capturing"))
        try LiveDaemonTests.handshake(kit, port: base + 1, host: serverAddress, serverNamespace: serverNamespace,
                                      clientNamespace: clientNamespace)
        #expect(Self.waitForRules([log], port: base + 1) == Self.kazakhstanRules)
        #expect(Self.waitForStderrAlerts(daemon, host: serverAddress, port: base + 1))
        #expect(Self.count("interface \(link) failed", in: daemon.collected.value) == 1)
        #expect(Self.count("interface \(link) is back", in: daemon.collected.value) == 1)
        #expect(Self.eventually {
            let values = Self.metrics(metrics)
            return values["mitmwatch_interface_up{interface=\"\(link)\"}"] == 1 && values["mitmwatch_interface_failures_total{interface=\"\(link)\"}"] == 1
        }, "\(Self.metrics(metrics))")

        #expect(kill(daemon.process.processIdentifier, 0) == 0)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        Self.show(daemon)
    }

    // MARK: 5. SIGHUP storm

    @Test func aSIGHUPStormReloadsLosesNoAlertAndLogsAFewLines() throws {
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let first = kit.path("first.json"), second = kit.path("second.json")
        let metrics = kit.path("mitmwatch.prom"), config = kit.path("config.json")
        let body = { (log: String) in
            #"{"interfaces": ["lo"], "journal": false, "json_log": {"path": "\#(log)"}, "metrics": {"textfile": "\#(metrics)", "interval_seconds": 1}}"#
        }
        try body(first).write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try Running(["run", "--config", config])
        defer { Self.cleanUp(daemon) }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))

        // The new config (another log) is in place when the storm starts; sessions run meanwhile.
        try body(second).write(toFile: config, atomically: true, encoding: .utf8)
        let pid = daemon.process.processIdentifier
        let stormOver = DispatchSemaphore(value: 0)
        let storm = Thread {
            for index in 0..<200 {
                kill(pid, SIGHUP)
                if index % 20 == 19 { usleep(200_000) }  // ten bursts of 20 in a tight loop, over about 2 s
            }
            stormOver.signal()
        }
        let base = Int.random(in: 28_000...28_900)
        let ports = Array(base..<base + 3)
        storm.start()
        for port in ports { try LiveDaemonTests.handshake(kit, port: port) }
        #expect(stormOver.wait(timeout: .now() + 10) == .success)

        // After the storm the new config is in force: the next alert goes to the second log.
        try LiveDaemonTests.handshake(kit, port: base + 3)
        #expect(Self.waitForRules([second], port: base + 3) == Self.kazakhstanRules)
        // No alert lost: every session's two alerts are in one log or the other, and on stderr.
        for port in ports {
            #expect(Self.waitForRules([first, second], port: port) == Self.kazakhstanRules, "port \(port)")
            #expect(Self.waitForStderrAlerts(daemon, host: "127.0.0.1", port: port))
        }
        // Not flooded: the first reload said at once, the rest summed up after the window.
        #expect(daemon.waitForStderr(" applied, 0 rejected)", seconds: ReloadLog.window + 3), "\(daemon.collected.value)")
        let reloadLines = Self.count("configuration reloaded from \(config)", in: daemon.collected.value)
        #expect((2...3).contains(reloadLines), "\(daemon.collected.value)")
        #expect(Self.eventually {
            (Self.metrics(metrics)["mitmwatch_config_reloads_total{result=\"applied\"}"] ?? 0) > reloadLines
        }, "\(Self.metrics(metrics))")

        #expect(kill(pid, 0) == 0)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        Self.show(daemon)
    }

    // MARK: 6. Config replaced by garbage

    @Test func aGarbageConfigIsRejectedNamingTheFileAndKeyAndDetectionContinues() throws {
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let log = kit.path("alerts.json"), elsewhere = kit.path("elsewhere.json")
        let metrics = kit.path("mitmwatch.prom"), config = kit.path("config.json")
        let good = #"{"interfaces": ["lo"], "journal": false, "json_log": {"path": "\#(log)"}, "metrics": {"textfile": "\#(metrics)", "interval_seconds": 1}}"#
        try good.write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try Running(["run", "--config", config])
        defer { Self.cleanUp(daemon) }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))

        var random = [UInt8](repeating: 0, count: 512)
        for index in random.indices { random[index] = UInt8.random(in: 0...255) }
        random[0] = 0xFF  // never valid JSON
        let cases: [(name: String, bytes: [UInt8], says: String)] = [
            ("random bytes", random, "not valid JSON"),
            ("a valid JSON with a bad value",
             Array(#"{"interfaces": ["lo"], "json_log": {"path": "\#(elsewhere)"}, "capture": {"snaplen": 5}}"#.utf8),
             "key 'capture.snaplen': expected an integer from 64 to 262144, got 5"),
            ("truncated JSON", Array(good.utf8.prefix(good.utf8.count / 2)), "not valid JSON"),
        ]
        let base = Int.random(in: 29_000...29_900)
        for (offset, garbage) in cases.enumerated() {
            try Data(garbage.bytes).write(to: URL(fileURLWithPath: config))
            daemon.signal(SIGHUP)
            let rejection = "configuration \(config) rejected, keeping the running one: \(garbage.says)"
            #expect(daemon.waitForStderr(rejection), "\(garbage.name): \(daemon.collected.value)")
            // The running config is kept: detection goes on, alerts to the same log.
            let port = base + offset
            try LiveDaemonTests.handshake(kit, port: port)
            #expect(Self.waitForRules([log], port: port) == Self.kazakhstanRules, "\(garbage.name)")
            #expect(daemon.process.isRunning)
        }
        #expect(!FileManager.default.fileExists(atPath: elsewhere))
        // Each rejection said once (the two "not valid JSON" ones were not back to back).
        let said = daemon.collected.value
        #expect(Self.count("rejected, keeping the running one: not valid JSON", in: said) == 2, "\(said)")
        #expect(Self.count("rejected, keeping the running one: key 'capture.snaplen'", in: said) == 1, "\(said)")
        #expect(!said.contains("configuration reloaded"))
        #expect(Self.eventually { Self.metrics(metrics)["mitmwatch_config_reloads_total{result=\"rejected\"}"] == 3 },
                "\(Self.metrics(metrics))")

        #expect(kill(daemon.process.processIdentifier, 0) == 0)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        Self.show(daemon)
    }

    // MARK: 7. Indicator files truncated

    @Test func aTruncatedIndicatorFileIsRejectedOnReloadKeepingTheOldIndicatorsAndIsAStartupError() throws {
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        // User indicators only: a JSON list naming the intermediate by SHA-256, and a directory
        // holding the root (which matches the intermediate it issued).
        let intermediate = try kit.der("intermediate")
        let digest = CertificateHasher.sha256(intermediate.span).description
        let list = kit.path("indicators.json"), directory = kit.path("pem")
        let listText = #"[{"id": "fault-test-list", "name": "Fault test intermediate", "sha256": "\#(digest)"}]"#
        try listText.write(toFile: list, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pem = directory + "/fault-test-root.pem"
        let rootText = try String(contentsOfFile: kit.path("root.pem"), encoding: .utf8)
        try rootText.write(toFile: pem, atomically: true, encoding: .utf8)
        let log = kit.path("alerts.json"), metrics = kit.path("mitmwatch.prom"), config = kit.path("config.json")
        try (#"{"interfaces": ["lo"], "journal": false, "json_log": {"path": "\#(log)"}, "#
            + #""indicators": {"builtin": false, "paths": ["\#(list)", "\#(directory)"]}, "#
            + #""metrics": {"textfile": "\#(metrics)", "interval_seconds": 1}}"#).write(toFile: config, atomically: true, encoding: .utf8)
        let expected: Set<String> = ["fault-test-list", "fault-test-root"]

        let daemon = try Running(["run", "--config", config])
        defer { Self.cleanUp(daemon) }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))
        let base = Int.random(in: 30_000...30_900)
        try LiveDaemonTests.handshake(kit, port: base)
        #expect(Self.waitForIndicators(log, port: base, expected) == expected)

        // The JSON list cut mid-file, then the PEM file: each reload rejected naming the file, and
        // the old indicators — both of them — still detect.
        let truncations: [(file: String, text: String, says: String)] = [
            (list, String(listText.prefix(listText.count / 2)), "key 'indicators.paths': \(list): indicators \(list): not a JSON list of indicators"),
            (pem, String(rootText.prefix(rootText.count / 2)), "key 'indicators.paths': \(directory): indicators \(pem): PEM block 1: missing END line"),
        ]
        for (offset, truncation) in truncations.enumerated() {
            if offset == 1 { try listText.write(toFile: list, atomically: true, encoding: .utf8) }
            try truncation.text.write(toFile: truncation.file, atomically: false, encoding: .utf8)
            daemon.signal(SIGHUP)
            let rejection = "configuration \(config) rejected, keeping the running one: \(truncation.says)"
            #expect(daemon.waitForStderr(rejection), "\(daemon.collected.value)")
            #expect(Self.count(rejection, in: daemon.collected.value) == 1)
            let port = base + 1 + offset
            try LiveDaemonTests.handshake(kit, port: port)
            #expect(Self.waitForIndicators(log, port: port, expected) == expected, "after truncating \(truncation.file)")
        }
        #expect(Self.eventually { Self.metrics(metrics)["mitmwatch_config_reloads_total{result=\"rejected\"}"] == 2 })
        #expect(kill(daemon.process.processIdentifier, 0) == 0)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        Self.show(daemon)

        // At start, a truncated indicator file is a one-line error naming it; exit status 1.
        let startCases: [(file: String, text: String, says: String)] = [
            (pem, String(rootText.prefix(rootText.count / 2)), "\(pem): PEM block 1: missing END line"),
            (pem, "", "\(pem): no certificate in it"),
            (list, String(listText.prefix(listText.count / 2)), "indicators \(list): not a JSON list of indicators"),
        ]
        try rootText.write(toFile: pem, atomically: true, encoding: .utf8)
        for start in startCases {
            try start.text.write(toFile: start.file, atomically: false, encoding: .utf8)
            let failed = try Running(["run", "--config", config])
            defer { Self.cleanUp(failed) }
            #expect(failed.waitForExit() == 1, "\(start.file)")
            #expect(failed.waitForStderr(start.says, seconds: 3))
            let said = failed.collected.value
            #expect(said.contains("cannot start: key 'indicators.paths': "), "\(said)")
            #expect(said.contains(start.says), "\(said)")
            #expect(!said.contains("mitmwatch started"))
            #expect(!said.contains("Usage:"))
            try listText.write(toFile: list, atomically: true, encoding: .utf8)
            try rootText.write(toFile: pem, atomically: true, encoding: .utf8)
        }
    }

    // MARK: 8. The reader of stdout and stderr gone

    /// stdout and stderr are pipes whose reader goes away (a logger that died): writing to them
    /// fails (EPIPE) instead of killing the daemon with SIGPIPE; alerts still reach the JSON log.
    @Test func aVanishedStdoutAndStderrReaderDoesNotKillTheDaemon() throws {
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let log = kit.path("alerts.json"), metrics = kit.path("mitmwatch.prom"), config = kit.path("config.json")
        try (#"{"interfaces": ["lo"], "journal": false, "json_log": {"path": "\#(log)", "stdout": true}, "#
            + #""metrics": {"textfile": "\#(metrics)", "interval_seconds": 1}}"#).write(toFile: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ReadCommandTests.binary)
        process.arguments = ["run", "--config", config]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        #expect(Self.eventually { FileManager.default.fileExists(atPath: metrics) })
        try output.fileHandleForReading.close()
        try errors.fileHandleForReading.close()

        let port = Int.random(in: 31_000...31_900)
        try LiveDaemonTests.handshake(kit, port: port)  // its alerts are written to stdout and stderr too
        #expect(Self.waitForRules([log], port: port) == Self.kazakhstanRules)
        kill(process.processIdentifier, SIGUSR1)  // a statistics line on stderr
        // Counted: at least the two alert lines on stdout, and the alerts in words on stderr.
        #expect(Self.eventually {
            let values = Self.metrics(metrics)
            return (values["mitmwatch_output_write_failures_total{stream=\"stdout\"}"] ?? 0) >= 2
                && (values["mitmwatch_output_write_failures_total{stream=\"stderr\"}"] ?? 0) >= 2
        }, "\(Self.metrics(metrics))")
        #expect(kill(process.processIdentifier, 0) == 0)
        #expect(process.isRunning)
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        #expect(!process.isRunning)
        if !process.isRunning {
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 0)
        }
    }

    /// stderr is a socket (as journald's stdout stream is under systemd) whose reader stalls: the
    /// socket fills, and writing to it must not stall the capture threads or the main loop.
    @Test func aStalledStderrSocketDoesNotStallTheDaemon() throws {
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let log = kit.path("alerts.json"), metrics = kit.path("mitmwatch.prom"), config = kit.path("config.json")
        try (#"{"interfaces": ["lo"], "journal": false, "json_log": {"path": "\#(log)"}, "#
            + #""metrics": {"textfile": "\#(metrics)", "interval_seconds": 1}}"#).write(toFile: config, atomically: true, encoding: .utf8)
        var pair: [Int32] = [-1, -1]
        // unsafe: socketpair writes two descriptors into the two-element array.
        guard unsafe socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            Issue.record("socketpair: errno \(errno)"); return
        }
        defer { close(pair[0]) }  // the reader end, never read
        var small: Int32 = 4096
        // unsafe: setsockopt reads one local Int32.
        _ = unsafe setsockopt(pair[1], SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        _ = unsafe setsockopt(pair[0], SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ReadCommandTests.binary)
        process.arguments = ["run", "--config", config]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(fileDescriptor: pair[1], closeOnDealloc: false)
        try process.run()
        close(pair[1])
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        #expect(Self.eventually { FileManager.default.fileExists(atPath: metrics) })

        // Statistics lines (about 200 bytes each) until the socket is long full, then a session whose
        // alerts go to stderr in words before the JSON log.
        for _ in 0..<60 {
            kill(process.processIdentifier, SIGUSR1)
            usleep(20_000)
        }
        let port = Int.random(in: 32_000...32_900)
        try LiveDaemonTests.handshake(kit, port: port)
        #expect(Self.waitForRules([log], port: port) == Self.kazakhstanRules)
        #expect(Self.eventually { (Self.metrics(metrics)["mitmwatch_output_write_failures_total{stream=\"stderr\"}"] ?? 0) >= 1 },
                "\(Self.metrics(metrics))")
        #expect(kill(process.processIdentifier, 0) == 0)
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        #expect(!process.isRunning, "stuck writing to stderr")
        if !process.isRunning { #expect(process.terminationStatus == 0) }
    }
}

// MARK: - Helpers

extension DaemonFaultTests {
    static let kazakhstanRules = ["interception-shape", "known-interception-ca"]

    /// Runs a short command (ip, mount) to completion, bounded by `timeout`; its exit status.
    @discardableResult
    static func command(_ executable: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["20", executable] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Stops a daemon a failed expectation left running, by its PID, and waits for it.
    static func cleanUp(_ daemon: Running) {
        guard daemon.process.isRunning else { return }
        kill(daemon.process.processIdentifier, SIGTERM)
        if daemon.waitForExit(seconds: 10) == nil { kill(daemon.process.processIdentifier, SIGKILL) }
        daemon.process.waitUntilExit()
    }

    /// The daemon's stderr, with MITMWATCH_SHOW_STDERR=1 (for looking at what an operator sees).
    static func show(_ daemon: Running) {
        if ProcessInfo.processInfo.environment["MITMWATCH_SHOW_STDERR"] == "1" { print(daemon.collected.value) }
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    static func eventually(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }

    static func metrics(_ path: String) -> [String: Int] {
        LiveMultiCoreTests.samples((try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
    }

    static func alerts(in logs: [String], port: Int) -> [[String: Any]] {
        logs.flatMap(LiveDaemonTests.lines).filter {
            LiveMultiCoreTests.field($0, "event.kind") as? String == "alert" && LiveMultiCoreTests.field($0, "destination.port") as? Int == port
        }
    }

    /// The sorted rule ids of the alerts for `port` in the logs, once both Kazakhstan rules are there (or after 10 s).
    static func waitForRules(_ logs: [String], port: Int) -> [String] {
        var rules: [String] = []
        _ = eventually {
            rules = alerts(in: logs, port: port).compactMap { LiveMultiCoreTests.field($0, "rule.id") as? String }.sorted()
            return Set(rules).isSuperset(of: kazakhstanRules)
        }
        return rules
    }

    /// The indicator ids of the known-interception-ca alerts for `port`, once `expected` are all there (or after 10 s).
    static func waitForIndicators(_ log: String, port: Int, _ expected: Set<String>) -> Set<String> {
        var names: Set<String> = []
        _ = eventually {
            names = Set(alerts(in: [log], port: port).filter { LiveMultiCoreTests.field($0, "rule.id") as? String == "known-interception-ca" }
                .compactMap { LiveMultiCoreTests.field($0, "threat.indicator.name") as? String })
            return names.isSuperset(of: expected)
        }
        return names
    }

    /// Both alerts of the session to `host`:`port` printed in words on the daemon's stderr.
    static func waitForStderrAlerts(_ daemon: Running, host: String, port: Int) -> Bool {
        kazakhstanRules.allSatisfy { daemon.waitForStderr("\($0): www.facebook.example (\(host):\(port))") }
    }

    /// Fills `path` with zeros until the file system says it is full (bounded); bytes written.
    static func fill(_ path: String) -> Int {
        let descriptor = unsafe open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0, count: 1024)
        var total = 0
        for _ in 0..<1024 {
            // unsafe: writes from the local array's buffer, its own count.
            let written = unsafe chunk.withUnsafeBytes { unsafe write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { break }
            total += written
        }
        return total
    }

    /// Sends small entries to a journald socket until its queue is full (EAGAIN), at most 100; how many fitted.
    static func fillQueue(_ path: String) -> Int {
        guard let address = UnixSocketAddress(path) else { return 0 }
        let socket = UnixDatagram.openSocket()
        guard socket >= 0 else { return 0 }
        defer { close(socket) }
        var sent = 0
        while sent < 100, UnixDatagram.send(Array("MESSAGE=queue filler \(sent)\n".utf8), on: socket, to: address) == 0 { sent += 1 }
        return sent
    }

    /// The rules of the alert entries for 127.0.0.1:`port` in the test's journal namespace (retried up to 5 s).
    static func namespacedRules(_ namespace: String, port: Int) throws -> Set<String> {
        var rules: Set<String> = []
        let deadline = Date().addingTimeInterval(5)
        repeat {
            let entries = try Journald.journalctl(["--namespace", namespace, "-o", "json", "--all", "--no-pager",
                                                   "MITMWATCH_SERVER=127.0.0.1:\(port)"])
            rules = Set(entries.compactMap { $0["MITMWATCH_RULE"] })
            if rules.count >= 2 { break }
            usleep(100_000)
        } while Date() < deadline
        return rules
    }

    /// Removes what a test journal namespace left: its socket directory and its journal files.
    static func removeJournalNamespace(_ namespace: String, socketDirectory: String) {
        try? FileManager.default.removeItem(atPath: socketDirectory)
        for root in ["/var/log/journal", "/run/log/journal"] {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where entry.hasSuffix("." + namespace) {
                try? FileManager.default.removeItem(atPath: root + "/" + entry)
            }
        }
    }
}

/// A count shared with another thread.
final class Tally: Sendable {
    private let count = Atomic(0)
    var value: Int { count.load(ordering: .relaxed) }
    func add() { count.add(1, ordering: .relaxed) }
}

/// A systemd-journald of the test's own, in journal namespace `namespace` (socket
/// `/run/systemd/journal.NAMESPACE/socket`), started and stopped by its PID.
final class TestJournald {
    let binary: String
    let namespace: String
    private var process: Process?

    init(binary: String, namespace: String) {
        self.binary = binary
        self.namespace = namespace
    }

    var pid: Int32 { process?.processIdentifier ?? 0 }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [namespace]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let writer = JournalWriter(socketPath: "/run/systemd/journal.\(namespace)/socket")
        let deadline = Date().addingTimeInterval(5)
        while !writer.isAvailable {
            guard Date() < deadline, process.isRunning else {
                stop()
                throw TestFailure("\(binary) \(namespace) did not serve its socket within 5 s")
            }
            usleep(50_000)
        }
    }

    /// Stops it (continuing it first, should it be stopped) and waits.
    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGCONT)
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        self.process = nil
    }
}
