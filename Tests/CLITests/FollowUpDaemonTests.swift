@testable import Daemon
import Foundation
import TestSupport
import Testing

/// The daemon's follow-up probes (`probe.follow_unobserved`), live on `lo` with a real journald:
/// a TLS 1.3 handshake whose chain capture cannot see is probed, and the Kazakhstan-style chain
/// the probe is shown raises `known-interception-ca` in the JSON log and the journal, naming the
/// passive session. Every process is stopped by its PID, every wait is bounded.
@Suite(.serialized) struct FollowUpDaemonTests {
    typealias Running = LiveDaemonTests.Running

    static func config(_ kit: OpenSSLKit, probe: String) throws -> (config: String, log: String, metrics: String) {
        let log = kit.path("alerts.json"), metrics = kit.path("mitmwatch.prom"), config = kit.path("config.json")
        try (#"{"interfaces": ["lo"], "json_log": {"path": "\#(log)", "sessions": true}, "#
            + #""metrics": {"textfile": "\#(metrics)", "interval_seconds": 1}, "probe": \#(probe)}"#)
            .write(toFile: config, atomically: true, encoding: .utf8)
        return (config, log, metrics)
    }

    static func mitmwatch(_ record: [String: Any]) -> [String: Any] { record["mitmwatch"] as? [String: Any] ?? [:] }
    static func port(_ record: [String: Any], _ side: String) -> Int? { (record[side] as? [String: Any])?["port"] as? Int }
    static func isAlert(_ record: [String: Any]) -> Bool { (record["event"] as? [String: Any])?["kind"] as? String == "alert" }
    static func observation(_ record: [String: Any]) -> String? { mitmwatch(record)["observation"] as? String }
    static func triggeringSession(_ record: [String: Any]) -> UInt64? {
        ((mitmwatch(record)["probe"] as? [String: Any])?["session_id"] as? NSNumber)?.uint64Value
    }

    /// Passive sessions to `port` whose chain was encrypted.
    static func unobserved(_ records: [[String: Any]], port: Int) -> [[String: Any]] {
        records.filter {
            !isAlert($0) && observation($0) == "passive" && Self.port($0, "destination") == port
                && (mitmwatch($0)["chain"] as? [String: Any])?["unobserved_reason"] as? String == "tls13-encrypted"
        }
    }

    /// Stops an s_server by its PID. SIGKILL: one started from a test thread can inherit a mask
    /// that blocks SIGTERM.
    static func stopServer(_ server: ProbeCommandTests.Server) {
        if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) }
        server.process.waitUntilExit()
    }

    /// Polls `body` every 100 ms for at most `seconds`.
    static func waitFor(_ seconds: Double, _ body: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if body() { return true }
            usleep(100_000)
        }
        return body()
    }

    /// One TLS 1.3 handshake by `openssl s_client`, bounded by timeout(1).
    /// The Kazakhstan-style chain as a Python server sends it: leaf then intermediate, one PEM file.
    static func servedKazakhstanChain(_ kit: OpenSSLKit) throws -> String {
        try LiveDaemonTests.kazakhstanChain(kit)
        let chain = kit.path("served.pem")
        try (String(contentsOfFile: kit.path("leaf.pem"), encoding: .utf8)
            + String(contentsOfFile: kit.path("intermediate.pem"), encoding: .utf8)).write(toFile: chain, atomically: true, encoding: .utf8)
        return chain
    }

    static func tls13Client(port: Int) throws {
        try LiveDaemonTests.client(port: port, version: "-tls1_3")
    }

    /// A metric's value in the textfile (0 when absent).
    static func metric(_ exposition: String, _ series: String) -> Int {
        exposition.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { $0.split(separator: " ").last }
            .flatMap { Int($0) } ?? 0
    }

    @Test func aTLS13SessionIsProbedAndTheInterceptionIsAlertedNamingThePassiveSession() throws {
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let files = try Self.config(kit, probe: #"{"follow_unobserved": true}"#)
        let journald = try Journald.start()
        defer { journald.stop() }
        let daemon = try Running(["run", "--config", files.config])
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))
        let port = Int.random(in: 24_000...24_999)
        // Two connections: the passive one, then the daemon's probe.
        let server = try ProbeCommandTests.Server(kit, port: port, cert: "leaf.pem", key: "leaf.key",
                                                  chain: "intermediate.pem", versions: ["-tls1_3"], connections: 2)
        defer { Self.stopServer(server) }
        let started = Date()
        try Self.tls13Client(port: port)

        var probeAlert: [String: Any]?
        var probeRecord: [String: Any]?
        var records: [[String: Any]] = []
        _ = Self.waitFor(15) {
            records = LiveDaemonTests.lines(files.log)
            let probes = records.filter { Self.observation($0) == "probe" && Self.port($0, "destination") == port }
            probeAlert = probes.first { Self.isAlert($0) && ($0["rule"] as? [String: Any])?["id"] as? String == "known-interception-ca" }
            probeRecord = probes.first { !Self.isAlert($0) }
            return probeAlert != nil && probeRecord != nil
        }
        let elapsed = Date().timeIntervalSince(started)
        let alert = try #require(probeAlert)
        #expect(probeRecord != nil)
        #expect(elapsed < 10, "the follow-up took \(elapsed) s")
        #expect((Self.mitmwatch(alert)["probe"] as? [String: Any])?["trigger"] as? String == "unobserved-session")
        #expect((alert["message"] as? String)?.hasPrefix("A probe through this gateway was shown the chain: ") == true)
        // It names the s_client session (the probe's own connection, also captured, is not followed up).
        let passive = Self.unobserved(records, port: port)
        let trigger = try #require(Self.triggeringSession(alert))
        let triggering = passive.first { (Self.mitmwatch($0)["session_id"] as? NSNumber)?.uint64Value == trigger }
        #expect(triggering != nil)
        #expect(triggering.flatMap { Self.port($0, "source") } != Self.port(alert, "source"))

        // The same alert in the journal, with the probe's fields.
        // (Matched by server: session ids start from 1 in every daemon, earlier runs' included.)
        let entries = try Journald.entries(matching: "MITMWATCH_SERVER=127.0.0.1:\(port)", count: 1)
        let entry = entries.last { $0["MITMWATCH_RULE"] == "known-interception-ca" }
        #expect(entry?["MITMWATCH_PROBE_SESSION_ID"] == String(trigger))
        #expect(entry?["MITMWATCH_OBSERVATION"] == "probe")
        #expect(entry?["MITMWATCH_PROBE_TRIGGER"] == "unobserved-session")
        #expect(entry?["MESSAGE"]?.hasPrefix("A probe through this gateway was shown the chain") == true)

        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        let exposition = (try? String(contentsOfFile: files.metrics, encoding: .utf8)) ?? ""
        #expect(Self.metric(exposition, #"mitmwatch_probes_total{trigger="unobserved-session",result="completed"}"#) >= 1)
        #expect(exposition.contains(#"mitmwatch_probe_skipped_total{reason="queue-full"} 0"#))
    }

    @Test func withFollowUnobservedOffNothingIsProbed() throws {
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let files = try Self.config(kit, probe: #"{"follow_unobserved": false}"#)
        let daemon = try Running(["run", "--config", files.config])
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))
        let port = Int.random(in: 24_000...24_999)
        let server = try ProbeCommandTests.Server(kit, port: port, cert: "leaf.pem", key: "leaf.key",
                                                  chain: "intermediate.pem", versions: ["-tls1_3"], connections: 2)
        defer { Self.stopServer(server) }
        try Self.tls13Client(port: port)
        #expect(Self.waitFor(10) { !Self.unobserved(LiveDaemonTests.lines(files.log), port: port).isEmpty })
        usleep(2_000_000)  // time a probe would have had
        let records = LiveDaemonTests.lines(files.log)
        #expect(Self.unobserved(records, port: port).count == 1)  // no probe connection seen either
        #expect(!records.contains { Self.observation($0) == "probe" })
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        let exposition = (try? String(contentsOfFile: files.metrics, encoding: .utf8)) ?? ""
        #expect(exposition.contains(#"mitmwatch_probes_total{trigger="unobserved-session",result="completed"} 0"#))
        #expect(exposition.contains(#"mitmwatch_probes_total{trigger="unobserved-session",result="failed"} 0"#))
    }

    /// TLS 1.3 servers on `count` loopback ports (kernel-chosen) serving the Kazakhstan-style chain
    /// until stopped, and one handshake to each; prints the ports, then "done". Ends by itself
    /// after 60 s.
    static let flood = #"""
    import json, socket, ssl, sys, threading, time
    chain, key, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.minimum_version = ssl.TLSVersion.TLSv1_3
    server.load_cert_chain(chain, key)
    listeners = []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        listeners.append(s)
    def serve(listener):
        while True:
            connection, _ = listener.accept()
            connection.settimeout(5)
            try:
                with server.wrap_socket(connection, server_side=True) as tls:
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass
            finally:
                connection.close()
    for listener in listeners:
        threading.Thread(target=serve, args=(listener,), daemon=True).start()
    print(json.dumps([s.getsockname()[1] for s in listeners]), flush=True)
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    client.minimum_version = ssl.TLSVersion.TLSv1_3
    for listener in listeners:
        with socket.create_connection(listener.getsockname(), timeout=5) as raw:
            with client.wrap_socket(raw, server_hostname="www.facebook.example") as tls:
                pass
    print("done", flush=True)
    time.sleep(60)
    """#

    @Test func aFloodOfUnobservableSessionsStaysWithinMaxPerMinute() throws {
        let kit = try OpenSSLKit()
        let chain = try Self.servedKazakhstanChain(kit)
        let script = kit.path("flood.py")
        try Self.flood.write(toFile: script, atomically: true, encoding: .utf8)
        let files = try Self.config(kit, probe: #"{"follow_unobserved": true, "max_per_minute": 3, "timeout_seconds": 2, "locate": false}"#)
        let daemon = try Running(["run", "--config", files.config])
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))

        let sessions = 12
        let servers = Process()
        servers.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        servers.arguments = [script, chain, kit.path("leaf.key"), String(sessions)]
        let output = Pipe()
        servers.standardOutput = output
        servers.standardError = FileHandle.nullDevice
        try servers.run()
        defer { if servers.isRunning { kill(servers.processIdentifier, SIGKILL) }; servers.waitUntilExit() }
        var printed = ""
        _ = Self.waitFor(20) {
            printed += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            return printed.contains("done")
        }
        let ports = try #require(printed.split(separator: "\n").first.flatMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [Int] })
        #expect(ports.count == sessions)

        // Every session is either probed or skipped for the rate; other suites' traffic on lo can
        // only take more of the three slots.
        var exposition = ""
        let accounted = Self.waitFor(20) {
            exposition = (try? String(contentsOfFile: files.metrics, encoding: .utf8)) ?? ""
            let probed = Self.metric(exposition, #"mitmwatch_probes_total{trigger="unobserved-session",result="completed"}"#)
                + Self.metric(exposition, #"mitmwatch_probes_total{trigger="unobserved-session",result="failed"}"#)
            return probed + Self.metric(exposition, #"mitmwatch_probe_skipped_total{reason="rate"}"#) >= sessions
        }
        #expect(accounted, "\(exposition)")
        usleep(1_500_000)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        exposition = (try? String(contentsOfFile: files.metrics, encoding: .utf8)) ?? ""
        let probed = Self.metric(exposition, #"mitmwatch_probes_total{trigger="unobserved-session",result="completed"}"#)
            + Self.metric(exposition, #"mitmwatch_probes_total{trigger="unobserved-session",result="failed"}"#)
        #expect((1...3).contains(probed), "\(exposition)")
        #expect(Self.metric(exposition, #"mitmwatch_probe_skipped_total{reason="rate"}"#) >= sessions - 3)
        let records = LiveDaemonTests.lines(files.log)
        let probeRecords = records.filter { !Self.isAlert($0) && Self.observation($0) == "probe" }
        #expect(probeRecords.count == Self.metric(exposition, #"mitmwatch_probes_total{trigger="unobserved-session",result="completed"}"#))
        #expect(probeRecords.count <= 3)
    }

    /// A TLS 1.3 server on a kernel-chosen loopback port that answers one handshake (made here as
    /// the client), then accepts connections and never answers them; prints the port, "done"
    /// after the handshake, "held" at each connection it holds. Ends by itself after 60 s.
    static let answersOnce = #"""
    import socket, ssl, sys, threading, time
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.minimum_version = ssl.TLSVersion.TLSv1_3
    server.load_cert_chain(sys.argv[1], sys.argv[2])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(listener.getsockname()[1], flush=True)
    held = []
    def serve():
        connection, _ = listener.accept()
        try:
            with server.wrap_socket(connection, server_side=True) as tls:
                tls.recv(1)
        except (OSError, ssl.SSLError):
            pass
        while True:
            connection, _ = listener.accept()
            held.append(connection)
            print("held", flush=True)
    threading.Thread(target=serve, daemon=True).start()
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    with socket.create_connection(listener.getsockname(), timeout=5) as raw:
        with client.wrap_socket(raw, server_hostname="www.facebook.example"):
            pass
    print("done", flush=True)
    time.sleep(60)
    """#

    /// SIGTERM while a probe waits on a server that never answers: the daemon waits for the
    /// probe's own timeout (bounded), says the probe failed, counts it, and exits 0.
    @Test func sigtermWithAProbeInFlightEndsByTheProbesTimeout() throws {
        let kit = try OpenSSLKit()
        let chain = try Self.servedKazakhstanChain(kit)
        let script = kit.path("once.py")
        try Self.answersOnce.write(toFile: script, atomically: true, encoding: .utf8)
        let files = try Self.config(kit, probe: #"{"follow_unobserved": true, "timeout_seconds": 3}"#)
        let daemon = try Running(["run", "--config", files.config])
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        server.arguments = [script, chain, kit.path("leaf.key")]
        let output = Pipe()
        server.standardOutput = output
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) }; server.waitUntilExit() }
        var printed = ""
        let held = Self.waitFor(15) {
            printed += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            return printed.contains("held")
        }
        #expect(held, "\(printed)")
        let port = try #require(printed.split(separator: "\n").first.flatMap { Int($0) })
        let stopping = Date()
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(seconds: 10) == 0)
        let took = Date().timeIntervalSince(stopping)
        #expect(took < 3 + 2 + 1, "stopping took \(took) s")
        #expect(daemon.collected.value.contains("follow-up probe of 127.0.0.1:\(port) (www.facebook.example)"))
        #expect(daemon.collected.value.contains("could not complete: timeout"))
        let exposition = (try? String(contentsOfFile: files.metrics, encoding: .utf8)) ?? ""
        #expect(Self.metric(exposition, #"mitmwatch_probes_total{trigger="unobserved-session",result="failed"}"#) >= 1)
        #expect(!LiveDaemonTests.lines(files.log).contains { Self.observation($0) == "probe" && Self.isAlert($0) })
    }
}
