import Foundation
import Testing
import TestSupport

/// mitmproxy (`mitmdump` 8, the Debian package) as a real interceptor: a reverse proxy on
/// loopback, with the CA it generates in a temporary confdir, in front of a TLS 1.3 origin
/// (`openssl s_server -tls1_3`) whose chain is clean under a local root. `mitmwatch probe` and the
/// daemon's follow-up probes must see mitmproxy's chain where the origin's is expected.
@Suite(.serialized) struct ProbeMitmproxyTests {
    typealias CLI = ReadCommandTests
    typealias Probe = ProbeCommandTests
    typealias FollowUp = FollowUpDaemonTests

    static let name = "www.facebook.example"

    /// The origin and mitmproxy in front of it; everything stopped by PID.
    final class Stack {
        let kit: OpenSSLKit
        let origin: SpawnedTool
        let originPort: Int
        let proxy: SpawnedTool
        let proxyPort: Int

        /// A local root, the origin's leaf for `ProbeMitmproxyTests.name` under it (`root.pem`,
        /// `leaf.pem`), the origin on a kernel-chosen port, then mitmdump on another.
        init() throws {
            kit = try OpenSSLKit()
            try kit.key("root")
            try kit.root("root", key: "root", subject: "/CN=mitmwatch origin root")
            try kit.key("leaf")
            try kit.issue("leaf", key: "leaf", subject: "/CN=\(ProbeMitmproxyTests.name)", issuer: "root", issuerKey: "root",
                          extensions: ["subjectAltName=DNS:\(ProbeMitmproxyTests.name)", "extendedKeyUsage=serverAuth"])
            origin = try SpawnedTool("/usr/bin/openssl", ["s_server", "-accept", "127.0.0.1:0", "-tls1_3",
                                                          "-cert", kit.path("leaf.pem"), "-key", kit.path("leaf.key")])
            guard let originPort = origin.port(afterPrefix: "ACCEPT ") else {
                throw NSError(domain: "s_server", code: 1, userInfo: [NSLocalizedDescriptionKey: origin.output.value])
            }
            self.originPort = originPort
            // Unbuffered, so its "listening" line comes as it is printed; ssl_insecure: it does not
            // know the origin's local root.
            let started = Date()
            proxy = try SpawnedTool("/usr/bin/mitmdump", [
                "--mode", "reverse:https://127.0.0.1:\(originPort)", "--listen-host", "127.0.0.1", "--listen-port", "0",
                "--set", "confdir=" + kit.path("mitmproxy"), "--set", "ssl_insecure=true",
            ], environment: ["PYTHONUNBUFFERED": "1"])
            guard let proxyPort = proxy.port(afterPrefix: "Proxy server listening at ", seconds: 15) else {
                throw NSError(domain: "mitmdump", code: 1, userInfo: [NSLocalizedDescriptionKey: proxy.output.value])
            }
            self.proxyPort = proxyPort
            startSeconds = Date().timeIntervalSince(started)
        }

        /// How long mitmdump took to listen (it makes its CA on first start).
        private(set) var startSeconds = 0.0

        /// mitmproxy's CA certificate, as an indicators directory holding it alone.
        func indicatorsDirectory() throws -> String {
            let directory = kit.path("indicators")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: kit.path("mitmproxy/mitmproxy-ca-cert.pem"),
                                             toPath: directory + "/mitmproxy-ca.pem")
            return directory
        }

        func stop() {
            proxy.stop()
            origin.stop()
        }
    }

    static func session(_ records: [[String: Any]]) -> [String: Any]? {
        records.first { ($0["event"] as? [String: Any])?["kind"] as? String == "event" }
    }

    static func rules(_ records: [[String: Any]]) -> [String] {
        Probe.alerts(records).compactMap { ($0["rule"] as? [String: Any])?["id"] as? String }
    }

    /// `mitmwatch probe` of the proxy, judged against the origin's root.
    static func probe(_ stack: Stack, port: Int, _ extra: [String] = []) throws -> ReadCommandTests.Result {
        try CLI.run(["probe", "--format", "json", "--sni", name, "--trust-store", stack.kit.path("root.pem"),
                     "--untrusted-scope", "all", "--no-missing-sct", "--timeout", "5"] + extra + ["127.0.0.1:\(port)"])
    }

    @Test func theProbeSeesMitmproxysChainAndNotTheOrigins() throws {
        let stack = try Stack()
        defer { stack.stop() }
        #expect(stack.startSeconds < 10, "mitmdump took \(stack.startSeconds) s to listen")

        // Straight to the origin: its clean chain, no alert.
        let direct = try Self.probe(stack, port: stack.originPort)
        #expect(direct.status == 0, "\(direct.stdout) \(direct.stderr)")
        let directRecords = try Probe.json(direct)
        #expect(Self.rules(directRecords).isEmpty)
        #expect((Probe.mitmwatch(Self.session(directRecords) ?? [:])["chain"] as? [String: Any])?["sha256"] as? [String]
            == [try stack.kit.der("leaf").sha256Hex])

        // Through mitmproxy: TLS 1.3, a leaf for the name under mitmproxy's CA, untrusted.
        let started = Date()
        let intercepted = try Self.probe(stack, port: stack.proxyPort)
        #expect(Date().timeIntervalSince(started) < 8)
        #expect(intercepted.status == 3, "\(intercepted.stdout) \(intercepted.stderr)")
        let records = try Probe.json(intercepted)
        let session = try #require(Self.session(records))
        #expect((session["tls"] as? [String: Any])?["version"] as? String == "1.3")
        let chain = Probe.mitmwatch(session)["chain"] as? [String: Any]
        #expect((chain?["sha256"] as? [String])?.first != (try stack.kit.der("leaf").sha256Hex))
        #expect(Self.rules(records) == ["untrusted-chain"], "\(Self.rules(records))")
        let x509 = (((Probe.alerts(records).first?["tls"] as? [String: Any])?["server"] as? [String: Any])?["x509"]
            as? [String: Any]) ?? [:]
        #expect((x509["issuer"] as? [String: Any])?["distinguished_name"] as? String == "O=mitmproxy,CN=mitmproxy", "\(x509)")
        #expect((x509["subject"] as? [String: Any])?["common_name"] as? [String] == [Self.name], "\(x509)")

        // mitmproxy's CA as an indicator: known-interception-ca.
        let indicators = try stack.indicatorsDirectory()
        let known = try Self.probe(stack, port: stack.proxyPort, ["--indicators", indicators])
        #expect(known.status == 3, "\(known.stdout) \(known.stderr)")
        let knownRecords = try Probe.json(known)
        #expect(Set(Self.rules(knownRecords)) == ["known-interception-ca", "untrusted-chain"], "\(Self.rules(knownRecords))")
        let alert = try #require(Probe.alerts(knownRecords).first { ($0["rule"] as? [String: Any])?["id"] as? String == "known-interception-ca" })
        let match = Probe.mitmwatch(alert)["match"] as? [String: Any]
        #expect(match?["position"] as? Int == 0)
        // mitmproxy gives the leaves it mints its CA's own key: the leaf matches by that key
        // (SPKI), the strongest match, before its issuer name and key id.
        #expect(match?["type"] as? String == "spki", "\(match ?? [:])")
        #expect(match?["sha256"] as? String == (try stack.kit.der("mitmproxy/mitmproxy-ca-cert").sha256Hex))
        #expect(Probe.mitmwatch(alert)["observation"] as? String == "probe")
        // The same directory makes no alert of the origin's own chain.
        let directKnown = try Self.probe(stack, port: stack.originPort, ["--indicators", indicators])
        #expect(directKnown.status == 0, "\(directKnown.stdout) \(directKnown.stderr)")
    }
}

extension FollowUpDaemonTests {
    /// The daemon's follow-up probes through mitmproxy (nested in FollowUpDaemonTests, serialized with
    /// its daemons: every follow-up daemon on lo probes the others' servers).
    @Suite(.serialized) struct ProbeMitmproxyDaemonTests {
        typealias FollowUp = FollowUpDaemonTests
        typealias Stack = ProbeMitmproxyTests.Stack

        /// The daemon on lo sees a client's TLS 1.3 session to mitmproxy (and mitmproxy's own to the
        /// origin), follows both up, and alerts on mitmproxy's chain only, naming the client's session.
        @Test func theDaemonFollowsUpASessionThroughMitmproxyAndAlerts() throws {
            let stack = try Stack()
            defer { stack.stop() }
            let kit = stack.kit
            let indicators = try stack.indicatorsDirectory()
            let log = kit.path("alerts.json"), metrics = kit.path("mitmwatch.prom"), config = kit.path("config.json")
            try (#"{"interfaces": ["lo"], "json_log": {"path": "\#(log)", "sessions": true}, "#
                + #""metrics": {"textfile": "\#(metrics)", "interval_seconds": 1}, "trust_store": "\#(kit.path("root.pem"))", "#
                + #""untrusted_scope": "all", "rules": {"missing_sct": false}, "indicators": {"paths": ["\#(indicators)"]}, "#
                + #""probe": {"follow_unobserved": true, "timeout_seconds": 5}}"#)
                .write(toFile: config, atomically: true, encoding: .utf8)
            let daemon = try LiveDaemonTests.Running(["run", "--config", config])
            defer { if daemon.process.isRunning { kill(daemon.process.processIdentifier, SIGKILL); daemon.process.waitUntilExit() } }
            #expect(daemon.waitForStderr("mitmwatch started on lo"))

            let started = Date()
            try LiveDaemonTests.client(port: stack.proxyPort, version: "-tls1_3")
            var records: [[String: Any]] = []
            var proxyAlerts: [[String: Any]] = []
            var originProbes: [[String: Any]] = []
            _ = FollowUp.waitFor(15) {
                records = LiveDaemonTests.lines(log)
                let probes = records.filter { FollowUp.observation($0) == "probe" }
                proxyAlerts = probes.filter { FollowUp.isAlert($0) && FollowUp.port($0, "destination") == stack.proxyPort }
                originProbes = probes.filter { FollowUp.port($0, "destination") == stack.originPort }
                return Set(proxyAlerts.compactMap { ($0["rule"] as? [String: Any])?["id"] as? String })
                    .isSuperset(of: ["known-interception-ca", "untrusted-chain"]) && !originProbes.isEmpty
            }
            let elapsed = Date().timeIntervalSince(started)
            let alert = try #require(proxyAlerts.first { ($0["rule"] as? [String: Any])?["id"] as? String == "known-interception-ca" },
                                     "records: \(records.count), stderr: \(daemon.collected.value)")
            #expect(elapsed < 10, "the follow-up took \(elapsed) s")
            #expect(FollowUp.observation(alert) == "probe")
            let probe = FollowUp.mitmwatch(alert)["probe"] as? [String: Any]
            #expect(probe?["trigger"] as? String == "unobserved-session")
            #expect((alert["tls"] as? [String: Any])?["version"] as? String == "1.3")
            #expect((alert["message"] as? String)?.hasPrefix("A probe through this gateway was shown the chain: ") == true)
            // It names s_client's session to mitmproxy, whose chain capture could not see.
            let trigger = try #require(FollowUp.triggeringSession(alert))
            let passive = FollowUp.unobserved(records, port: stack.proxyPort)
            #expect(passive.contains { (FollowUp.mitmwatch($0)["session_id"] as? NSNumber)?.uint64Value == trigger },
                    "\(trigger) not among \(passive.map { FollowUp.mitmwatch($0)["session_id"] ?? "?" })")
            // mitmproxy's own TLS 1.3 session to the origin was followed up too: the clean chain, no alert.
            #expect(!originProbes.isEmpty)
            #expect(!originProbes.contains { FollowUp.isAlert($0) }, "\(originProbes)")

            daemon.signal(SIGTERM)
            #expect(daemon.waitForExit() == 0)
            let exposition = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
            #expect(FollowUp.metric(exposition, #"mitmwatch_probes_total{trigger="unobserved-session",result="completed"}"#) >= 2,
                    "\(exposition)")
        }
    }
}
