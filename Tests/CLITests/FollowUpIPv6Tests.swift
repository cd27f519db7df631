import Foundation
import TestSupport
import Testing

extension FollowUpDaemonTests {
    /// The daemon's follow-up probes over IPv6: a TLS 1.3 session to [::1] on lo is followed up to
    /// ::1, and the Kazakhstan-style chain the probe is shown is alerted with the IPv6 endpoints.
    /// (Nested in FollowUpDaemonTests, serialized with its daemons: every follow-up daemon on lo
    /// probes the servers of the others.)
    @Suite(.serialized) struct FollowUpIPv6Tests {
        typealias FollowUp = FollowUpDaemonTests

        static func ip(_ record: [String: Any], _ side: String) -> String? { (record[side] as? [String: Any])?["ip"] as? String }

        @Test func aTLS13SessionToIPv6LoopbackIsProbedThereAndAlerted() throws {
            let kit = try OpenSSLKit()
            try LiveDaemonTests.kazakhstanChain(kit)
            let files = try FollowUp.config(kit, probe: #"{"follow_unobserved": true, "timeout_seconds": 5}"#)
            let daemon = try LiveDaemonTests.Running(["run", "--config", files.config])
            defer { if daemon.process.isRunning { kill(daemon.process.processIdentifier, SIGKILL); daemon.process.waitUntilExit() } }
            #expect(daemon.waitForStderr("mitmwatch started on lo"))
            let port = Int.random(in: 27_000...27_999)
            // s_client's connection, then the daemon's probe (and any other follow-up daemon's on lo).
            let server = try ProbeCommandTests.Server(kit, host: "::1", port: port, cert: "leaf.pem", key: "leaf.key",
                                                      chain: "intermediate.pem", versions: ["-tls1_3"], connections: 100)
            defer { FollowUp.stopServer(server) }
            let started = Date()
            try LiveDaemonTests.client(host: "[::1]", port: port, version: "-tls1_3")

            var records: [[String: Any]] = []
            var alert: [String: Any]?
            _ = FollowUp.waitFor(15) {
                records = LiveDaemonTests.lines(files.log)
                alert = records.first {
                    FollowUp.isAlert($0) && FollowUp.observation($0) == "probe" && FollowUp.port($0, "destination") == port
                        && ($0["rule"] as? [String: Any])?["id"] as? String == "known-interception-ca"
                }
                return alert != nil
            }
            let elapsed = Date().timeIntervalSince(started)
            let found = try #require(alert, "stderr: \(daemon.collected.value)")
            #expect(elapsed < 10, "the follow-up took \(elapsed) s")
            #expect(Self.ip(found, "destination") == "::1")
            #expect(Self.ip(found, "source") == "::1")
            #expect((FollowUp.mitmwatch(found)["probe"] as? [String: Any])?["trigger"] as? String == "unobserved-session")
            #expect((found["tls"] as? [String: Any])?["version"] as? String == "1.3")
            #expect((found["message"] as? String)?.contains("[::1]:\(port)") == true, "\(found["message"] ?? "")")
            // The passive session it names went to [::1] too, and its chain was encrypted.
            let trigger = try #require(FollowUp.triggeringSession(found))
            let passive = try #require(FollowUp.unobserved(records, port: port).first {
                (FollowUp.mitmwatch($0)["session_id"] as? NSNumber)?.uint64Value == trigger
            })
            #expect(Self.ip(passive, "destination") == "::1")
            #expect(FollowUp.port(passive, "source") != FollowUp.port(found, "source"))
            // The probe's own session, also seen on lo, is not followed up in turn: one probe record
            // (and the record of looking for the interceptor, found at TTL 1 on loopback).
            usleep(1_000_000)
            let probes = LiveDaemonTests.lines(files.log).filter {
                !FollowUp.isAlert($0) && FollowUp.observation($0) == "probe" && FollowUp.port($0, "destination") == port
            }
            #expect(probes.filter { ($0["event"] as? [String: Any])?["action"] == nil }.count == 1)
            #expect(probes.filter { ($0["event"] as? [String: Any])?["action"] as? String == "interceptor-located" }.count == 1)

            daemon.signal(SIGTERM)
            #expect(daemon.waitForExit() == 0)
        }
    }
}
