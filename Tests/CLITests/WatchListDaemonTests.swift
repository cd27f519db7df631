@testable import Daemon
import Foundation
import TestSupport
import Testing

/// The daemon's watch list, live: each name probed offering TLS 1.3 and TLS 1.2 only, the chains
/// judged and reported with `trigger: watchlist`, and the path check — whether capture saw the
/// probe's own TLS 1.2 handshake (on `lo`: yes; capturing an interface the probe does not cross:
/// no, said after its wait). A name that does not resolve is a failure record, not a stall.
/// Every process is stopped by its PID, every wait is bounded.
@Suite(.serialized) struct WatchListDaemonTests {
    typealias FollowUp = FollowUpDaemonTests

    static func probe(_ record: [String: Any]) -> [String: Any] { FollowUp.mitmwatch(record)["probe"] as? [String: Any] ?? [:] }
    static func action(_ record: [String: Any]) -> String? { (record["event"] as? [String: Any])?["action"] as? String }
    static func sessionID(_ record: [String: Any]) -> UInt64? { (FollowUp.mitmwatch(record)["session_id"] as? NSNumber)?.uint64Value }

    @Test func bothVersionsAreProbedAndCaptureSeesTheTLS12Probe() throws {
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let port = Int.random(in: 25_000...25_999)
        let files = try FollowUp.config(kit, probe: """
            {"targets": ["www.facebook.example@127.0.0.1:\(port)"], "interval_seconds": 600, "timeout_seconds": 6}
            """)
        // TLS 1.2 and 1.3 both allowed; one connection per probe, and those of locating the
        // interceptor after the first alert (on loopback: at TTL 1; more when a loaded machine
        // lets a try time out).
        let server = try ProbeCommandTests.Server(kit, port: port, cert: "leaf.pem", key: "leaf.key",
                                                  chain: "intermediate.pem", versions: [], connections: 8)
        defer { server.stop() }
        let journald = try Journald.start()
        defer { journald.stop() }
        let daemon = try LiveDaemonTests.Running(["run", "--config", files.config])
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))
        #expect(daemon.waitForStderr("watch list: 1 name, each probed offering TLS 1.3 and TLS 1.2 only every 600 s"))

        var records: [[String: Any]] = []
        var check: [String: Any]?
        _ = FollowUp.waitFor(20) {
            records = LiveDaemonTests.lines(files.log)
            check = records.first { Self.action($0) == "probe-path-check" }
            return check != nil
        }
        let probes = records.filter { FollowUp.observation($0) == "probe" && FollowUp.port($0, "destination") == port }
        let sessions = probes.filter { !FollowUp.isAlert($0) && Self.action($0) == nil }
        #expect(sessions.count == 2)
        #expect(sessions.allSatisfy { Self.probe($0)["trigger"] as? String == "watchlist" })
        let offered = sessions.map { Self.probe($0)["offered_versions"] as? [String] ?? [] }
        #expect(Set(offered) == [["1.2", "1.3"], ["1.2"]])
        let versions = sessions.map { ($0["tls"] as? [String: Any])?["version"] as? String ?? "?" }
        #expect(Set(versions) == ["1.3", "1.2"])
        let probeAlert = probes.first { FollowUp.isAlert($0) && ($0["rule"] as? [String: Any])?["id"] as? String == "known-interception-ca" }
        #expect(probeAlert != nil)
        // Located once (the second alert's server and name were located already): on loopback, at TTL 1.
        let located = records.filter { Self.action($0) == "interceptor-located" }
        #expect(located.count == 1)
        #expect(Self.probe(located.first ?? [:])["interceptor_hops"] as? Int == 1)

        // Capture saw the TLS 1.2 probe: a passive session from the probe's own end, the same chain, and its own alert.
        let seen = try #require(check)
        #expect(Self.probe(seen)["passive_seen"] as? Bool == true, "\(seen)")
        #expect(Self.probe(seen)["passive_chain_matches"] as? Bool == true)
        #expect((seen["event"] as? [String: Any])?["outcome"] as? String == "success")
        let tls12Probe = try #require(sessions.first { ($0["tls"] as? [String: Any])?["version"] as? String == "1.2" })
        #expect(Self.sessionID(seen) == Self.sessionID(tls12Probe))
        let passiveID = try #require((Self.probe(seen)["passive_session_id"] as? NSNumber)?.uint64Value)
        let passive = records.filter { FollowUp.observation($0) == "passive" && Self.sessionID($0) == passiveID }
        #expect(passive.contains { !FollowUp.isAlert($0) && FollowUp.port($0, "source") == FollowUp.port(seen, "source") })
        #expect(passive.contains { FollowUp.isAlert($0) && ($0["rule"] as? [String: Any])?["id"] as? String == "known-interception-ca" })

        let entries = try Journald.entries(matching: "MITMWATCH_PROBE_PASSIVE_SEEN=1", count: 1)
        #expect(entries.contains { $0["MITMWATCH_SERVER_NAME"] == "www.facebook.example" && $0["MITMWATCH_PROBE_TRIGGER"] == "watchlist" })

        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        let exposition = (try? String(contentsOfFile: files.metrics, encoding: .utf8)) ?? ""
        #expect(FollowUp.metric(exposition, #"mitmwatch_probes_total{trigger="watchlist",result="completed"}"#) == 2)
        #expect(FollowUp.metric(exposition, #"mitmwatch_probe_path_checks_total{seen="true"}"#) == 1)
        #expect(FollowUp.metric(exposition, #"mitmwatch_probe_locations_total{result="located"}"#) == 1)
        // The TLS 1.3 probe's own connection, unobservable to capture, was not a candidate for a follow-up.
        #expect(FollowUp.metric(exposition, #"mitmwatch_probes_total{trigger="unobserved-session",result="completed"}"#) == 0)
    }

    /// In a namespace of the test's own: the daemon captures a veth the probes never
    /// cross, and the resolver is a closed port on the namespace's loopback, so a name fails at once.
    @Test func aPathCaptureDoesNotSeeIsSaidAndAnUnresolvableNameIsAFailureRecord() throws {
        guard getuid() == 0 else { Issue.record("this test needs root (CI and the sandbox run as root)"); return }
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let namespace = "mwwatch\(Int.random(in: 100...999))"
        func ip(_ arguments: String) -> Int32 { DaemonFaultTests.command("/usr/sbin/ip", arguments.split(separator: " ").map(String.init)) }
        guard ip("netns add \(namespace)") == 0 else { Issue.record("cannot make network namespaces here"); return }
        defer {
            _ = ip("netns del \(namespace)")
            try? FileManager.default.removeItem(atPath: "/etc/netns/\(namespace)")
        }
        #expect(ip("-n \(namespace) link set lo up") == 0)
        // A veth pair of the namespace's own: up, captured, crossed by nothing.
        #expect(ip("-n \(namespace) link add mwside0 type veth peer name mwside1") == 0)
        #expect(ip("-n \(namespace) link set mwside0 up") == 0 && ip("-n \(namespace) link set mwside1 up") == 0)
        // `ip netns exec` mounts this over /etc/resolv.conf for the processes it starts.
        try FileManager.default.createDirectory(atPath: "/etc/netns/\(namespace)", withIntermediateDirectories: true)
        try "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"
            .write(toFile: "/etc/netns/\(namespace)/resolv.conf", atomically: true, encoding: .utf8)

        let server = try ListeningProcess(
            "/usr/sbin/ip", ["netns", "exec", namespace, "/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:0",
                             "-naccept", "3", "-cert", "leaf.pem", "-key", "leaf.key", "-cert_chain", "intermediate.pem"],
            in: kit.directory, readyPrefix: "ACCEPT ")
        defer { server.stop() }
        let port = Int(server.port)
        let log = kit.path("alerts.json"), metrics = kit.path("mitmwatch.prom"), config = kit.path("config.json")
        try (#"{"interfaces": ["mwside0"], "json_log": {"path": "\#(log)", "sessions": true}, "#
            + #""metrics": {"textfile": "\#(metrics)", "interval_seconds": 1}, "#
            + #""probe": {"targets": ["www.facebook.example@127.0.0.1:\#(port)", "no-such-name.invalid"], "timeout_seconds": 3}}"#)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try LiveDaemonTests.Running(["netns", "exec", namespace, ReadCommandTests.binary, "run", "--config", config],
                                                 executable: "/usr/sbin/ip")
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        #expect(daemon.waitForStderr("mitmwatch started on mwside0"))

        var records: [[String: Any]] = []
        let started = Date()
        _ = FollowUp.waitFor(25) {
            records = LiveDaemonTests.lines(log)
            return records.contains { Self.action($0) == "probe-path-check" }
                && records.filter { ($0["error"] as? [String: Any])?["type"] as? String == "resolve-failed" }.count == 2
        }
        let check = try #require(records.first { Self.action($0) == "probe-path-check" })
        #expect(Self.probe(check)["passive_seen"] as? Bool == false)
        #expect(Self.probe(check)["passive_session_id"] == nil)
        #expect((check["event"] as? [String: Any])?["outcome"] as? String == "failure")
        #expect((check["message"] as? String)?.contains("may not carry the path") == true)
        #expect(Date().timeIntervalSince(started) >= 9)  // it waited for capture's report
        // Both probes of the unresolvable name: a failure record each, said once in words.
        let failures = records.filter { ($0["error"] as? [String: Any])?["type"] as? String == "resolve-failed" }
        #expect(failures.count == 2)
        #expect(failures.allSatisfy { Self.probe($0)["trigger"] as? String == "watchlist" })
        #expect(failures.allSatisfy { ($0["tls"] as? [String: Any])?["client"] as? [String: Any] == nil
            || (($0["tls"] as? [String: Any])?["client"] as? [String: Any])?["server_name"] as? String == "no-such-name.invalid" })
        #expect(daemon.collected.value.components(separatedBy: "watch-list probe of no-such-name.invalid").count - 1 == 2)  // one per job
        // The chain the probes were shown alerted all the same.
        #expect(records.contains { FollowUp.isAlert($0) && FollowUp.observation($0) == "probe" })

        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        let exposition = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
        #expect(FollowUp.metric(exposition, #"mitmwatch_probes_total{trigger="watchlist",result="failed"}"#) == 2)
        #expect(FollowUp.metric(exposition, #"mitmwatch_probes_total{trigger="watchlist",result="completed"}"#) == 2)
        #expect(FollowUp.metric(exposition, #"mitmwatch_probe_path_checks_total{seen="false"}"#) == 1)
    }
}
