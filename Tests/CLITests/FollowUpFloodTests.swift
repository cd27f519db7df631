import Foundation
import TestSupport
import Testing

extension FollowUpDaemonTests {
    /// A flood of unobservable TLS 1.3 sessions to 30 distinct servers (30 loopback addresses) while
    /// the prober is busy with slow servers: `probe.max_per_minute` caps the probes made — counted on
    /// the servers' side too, by the probes' own source address — and the small `probe.queue` drops
    /// the rest as `queue-full`, every session accounted for in the metrics. (FollowUpDaemonTests
    /// covers the rate alone, with fast servers that never fill the queue; this suite is nested in it
    /// to run serialized with its daemons: every follow-up daemon on lo probes the others' servers.)
    @Suite(.serialized) struct FollowUpFloodTests {
        typealias FollowUp = FollowUpDaemonTests

        /// TLS 1.3 servers on 127.0.0.10, .11, … (kernel-chosen ports) serving the chain; each answers
        /// its first connection (this script's own handshake) at once and every later one (a probe)
        /// after half a second, printing "probed ADDRESS:PORT from PEER-ADDRESS". Prints the servers
        /// as JSON, makes one handshake to each, prints "done"; ends by itself after 60 s.
        static let slowServers = #"""
        import json, socket, ssl, sys, threading, time
        chain, key, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.minimum_version = ssl.TLSVersion.TLSv1_3
        server.load_cert_chain(chain, key)
        printing = threading.Lock()
        def say(text):
            with printing:
                print(text, flush=True)
        listeners = []
        for index in range(count):
            s = socket.socket()
            s.bind(("127.0.0.%d" % (10 + index), 0))
            s.listen(16)
            listeners.append(s)
        def answer(connection, delay):
            time.sleep(delay)
            connection.settimeout(5)
            try:
                with server.wrap_socket(connection, server_side=True) as tls:
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass
            finally:
                connection.close()
        def serve(listener):
            first = True
            while True:
                connection, peer = listener.accept()
                if not first:
                    say("probed %s:%d from %s" % (listener.getsockname() + (peer[0],)))
                threading.Thread(target=answer, args=(connection, 0 if first else 0.5), daemon=True).start()
                first = False
        for listener in listeners:
            threading.Thread(target=serve, args=(listener,), daemon=True).start()
        say(json.dumps(["%s:%d" % s.getsockname() for s in listeners]))
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.check_hostname = False
        client.verify_mode = ssl.CERT_NONE
        client.minimum_version = ssl.TLSVersion.TLSv1_3
        for listener in listeners:
            with socket.create_connection(listener.getsockname(), timeout=5) as raw:
                with client.wrap_socket(raw, server_hostname="www.facebook.example"):
                    pass
        say("done")
        time.sleep(60)
        """#

        static let completed = #"mitmwatch_probes_total{trigger="unobserved-session",result="completed"}"#
        static let failed = #"mitmwatch_probes_total{trigger="unobserved-session",result="failed"}"#
        static func skipped(_ reason: String) -> String { #"mitmwatch_probe_skipped_total{reason=""# + reason + #""}"# }

        @Test func distinctServersBeyondTheRateAndTheQueueAreSkippedAndCounted() throws {
            let kit = try OpenSSLKit()
            let chain = try FollowUp.servedKazakhstanChain(kit)
            let script = kit.path("slow.py")
            try Self.slowServers.write(toFile: script, atomically: true, encoding: .utf8)
            let limit = 5
            // The probes leave from an address of their own, so the servers can tell them from other daemons'.
            let source = "127.0.2.1"
            let files = try FollowUp.config(kit, probe: #"{"follow_unobserved": true, "locate": false, "max_per_minute": \#(limit), "queue": 8, "#
                + #""timeout_seconds": 5, "source_address": "\#(source)"}"#)
            let daemon = try LiveDaemonTests.Running(["run", "--config", files.config])
            defer { if daemon.process.isRunning { kill(daemon.process.processIdentifier, SIGKILL); daemon.process.waitUntilExit() } }
            #expect(daemon.waitForStderr("mitmwatch started on lo"))

            let sessions = 30
            let servers = try SpawnedTool("/usr/bin/python3", [script, chain, kit.path("leaf.key"), String(sessions)])
            defer { servers.stop() }
            let started = Date()
            #expect(servers.waitFor("done", seconds: 20), "\(servers.output.value)")
            let listed = try #require(servers.output.value.split(separator: "\n").first.flatMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String] })
            #expect(Set(listed).count == sessions)
            #expect(Set(listed.map { $0.split(separator: ":")[0] }).count == sessions)  // 30 addresses

            // Every session is probed or skipped (other suites' traffic on lo only adds to the counts).
            var exposition = ""
            let accounted = FollowUp.waitFor(25) {
                exposition = (try? String(contentsOfFile: files.metrics, encoding: .utf8)) ?? ""
                return ([Self.completed, Self.failed] + ["rate", "queue-full", "cached", "own-probe"].map(Self.skipped))
                    .map { FollowUp.metric(exposition, $0) }.reduce(0, +) >= sessions
            }
            #expect(accounted, "\(exposition)")
            usleep(1_500_000)  // time for a probe beyond the limit to show
            let elapsed = Date().timeIntervalSince(started)
            daemon.signal(SIGTERM)
            #expect(daemon.waitForExit() == 0)
            #expect(elapsed < 60)  // all of it within the minute the limit counts

            exposition = (try? String(contentsOfFile: files.metrics, encoding: .utf8)) ?? ""
            let probed = FollowUp.metric(exposition, Self.completed) + FollowUp.metric(exposition, Self.failed)
            #expect((1...limit).contains(probed), "\(exposition)")
            #expect(FollowUp.metric(exposition, Self.skipped("queue-full")) >= 1, "\(exposition)")
            #expect(FollowUp.metric(exposition, Self.skipped("rate")) >= 1, "\(exposition)")
            #expect(FollowUp.metric(exposition, Self.skipped("queue-full")) + FollowUp.metric(exposition, Self.skipped("rate"))
                >= sessions - limit, "\(exposition)")
            // The servers saw no more probes than that, and the JSON log holds one record per probe.
            let seen = servers.output.value.split(separator: "\n").filter { $0.hasPrefix("probed ") && $0.hasSuffix(" from " + source) }
            #expect((1...limit).contains(seen.count), "\(seen)")
            let records = LiveDaemonTests.lines(files.log).filter { !FollowUp.isAlert($0) && FollowUp.observation($0) == "probe" }
            #expect(records.count <= limit)
            let flooded = Set(listed)
            let ours = records.filter {
                let destination = $0["destination"] as? [String: Any]
                return flooded.contains("\(destination?["ip"] as? String ?? ""):\(destination?["port"] as? Int ?? 0)")
            }
            #expect(ours.allSatisfy { ($0["source"] as? [String: Any])?["ip"] as? String == source })
            #expect(ours.count == seen.count, "probe records \(ours.count), connections seen \(seen.count)")
        }
    }
}
