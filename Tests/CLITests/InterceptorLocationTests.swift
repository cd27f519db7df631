import Foundation
import Testing
import TestSupport

/// `mitmwatch probe` locating the interceptor in network namespaces of the test's: client → r1 →
/// r2 → origin, the origin serving a clean chain, one router redirecting the client's connections
/// (nftables) to a local `openssl s_server` with a Kazakhstan-style chain. After the alert, the
/// handshakes at rising TTL must put the interceptor at that router's distance.
@Suite(.serialized, .enabled(if: RoutedPath.unavailableReason == nil,
                             "needs root, ip, nft and sysctl (scripts/setup.sh installs iproute2 and nftables)"))
struct InterceptorLocationTests {
    typealias CLI = ReadCommandTests
    typealias Probe = ProbeCommandTests

    /// The path with its two servers running (stopped by PID in `stop`).
    final class Scene {
        let path: RoutedPath
        let kit: OpenSSLKit
        let origin: ListeningProcess
        let interceptor: ListeningProcess
        let ipv6: Bool

        init(interceptorAt router: RoutedPath.Node, ipv6: Bool = false, interceptedConnections: Int? = nil) throws {
            path = try RoutedPath()
            self.ipv6 = ipv6
            kit = try OpenSSLKit()
            try LiveDaemonTests.kazakhstanChain(kit)
            for name in ["clean-root", "clean"] {  // EC keys: quicker to make than the RSA ones above
                try kit.run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name + ".key"])
            }
            try kit.root("clean-root", key: "clean-root", subject: "/CN=mitmwatch clean test root")
            try kit.issue("clean", key: "clean", subject: "/CN=www.facebook.example", issuer: "clean-root",
                          issuerKey: "clean-root", extensions: ["subjectAltName=DNS:www.facebook.example"])
            let wildcard = ipv6 ? "[::]:0" : "0.0.0.0:0"
            origin = try Self.server(path, at: .origin, on: ipv6 ? "[\(path.origin(ipv6: true))]:0" : "\(path.origin(ipv6: false)):0",
                                     ["-cert", "clean.pem", "-key", "clean.key"], kit: kit)
            do {
                interceptor = try Self.server(path, at: router, on: wildcard,
                                              ["-cert", "leaf.pem", "-key", "leaf.key", "-cert_chain", "intermediate.pem"], kit: kit)
            } catch {
                kill(origin.pid, SIGKILL)
                origin.stop()
                throw error
            }
            do {
                try path.intercept(at: router, port: origin.port, to: interceptor.port, connections: interceptedConnections)
            } catch {
                stop()
                throw error
            }
        }

        /// `openssl s_server` run in `node`'s namespace (`ip netns exec` execs it in place, so the
        /// PID is the server's), serving one connection after another until stopped.
        static func server(_ path: RoutedPath, at node: RoutedPath.Node, on address: String, _ arguments: [String],
                           kit: OpenSSLKit) throws -> ListeningProcess {
            try ListeningProcess("/usr/sbin/ip", ["netns", "exec", path.namespace(node), "/usr/bin/openssl", "s_server",
                                                  "-accept", address] + arguments, in: kit.directory, readyPrefix: "ACCEPT ")
        }

        var target: String { ipv6 ? "[\(path.origin(ipv6: true))]:\(origin.port)" : "\(path.origin(ipv6: false)):\(origin.port)" }

        /// `mitmwatch probe` run in the client's namespace.
        func probe(_ options: [String], timeout: Int = 5) throws -> ReadCommandTests.Result {
            try CLI.run(executable: "/usr/sbin/ip", ["netns", "exec", path.namespace(.client), CLI.binary, "probe",
                                                     "--sni", "www.facebook.example", "--timeout", String(timeout)]
                        + options + [target])
        }

        /// SIGKILL by PID first: the test runner's processes may inherit SIGTERM ignored.
        func stop() {
            for server in [interceptor, origin] {
                kill(server.pid, SIGKILL)
                server.stop()
            }
        }
    }

    static func event(_ record: [String: Any]) -> [String: Any] { record["event"] as? [String: Any] ?? [:] }

    static func probeFields(_ record: [String: Any]) -> [String: Any] {
        Probe.mitmwatch(record)["probe"] as? [String: Any] ?? [:]
    }

    static func tries(_ record: [String: Any]) -> [String] {
        (probeFields(record)["hop_tries"] as? [[String: Any]] ?? []).map { "\($0["ttl"] ?? "?"):\($0["outcome"] ?? "?")" }
    }

    /// The alert comes first, then the location record, which names the alerting probe session.
    static func alertThenLocation(_ result: ReadCommandTests.Result) throws -> (alert: [String: Any], location: [String: Any]) {
        #expect(result.status == 3, "\(result.stdout) \(result.stderr)")
        let records = try Probe.json(result)
        let alertIndex = try #require(records.firstIndex {
            (($0["rule"] as? [String: Any])?["id"] as? String) == "known-interception-ca"
        }, "\(records)")
        let locationIndex = try #require(records.firstIndex { event($0)["action"] as? String != nil }, "\(records)")
        #expect(records.indices.filter { event(records[$0])["kind"] as? String == "alert" }.allSatisfy { $0 < locationIndex })
        #expect(locationIndex == records.count - 1)
        let location = records[locationIndex]
        #expect(event(location)["kind"] as? String == "event")
        #expect(event(location)["dataset"] as? String == "mitmwatch.probe")
        #expect(Probe.mitmwatch(location)["observation"] as? String == "probe")
        #expect(Probe.mitmwatch(location)["session_id"] as? Int == Probe.mitmwatch(records[alertIndex])["session_id"] as? Int)
        #expect(probeFields(location)["trigger"] as? String == "cli")
        #expect(((location["tls"] as? [String: Any])?["client"] as? [String: Any])?["server_name"] as? String == "www.facebook.example")
        return (records[alertIndex], location)
    }

    struct Placement: Sendable, CustomTestStringConvertible {
        var router: RoutedPath.Node
        var ipv6: Bool
        var hops: Int
        var testDescription: String { "interceptor at \(router) over IPv\(ipv6 ? 6 : 4)" }
    }

    @Test(arguments: [Placement(router: .r2, ipv6: false, hops: 2), Placement(router: .r1, ipv6: false, hops: 1),
                      Placement(router: .r2, ipv6: true, hops: 2)])
    func theReportedHopCountIsTheInterceptors(_ placement: Placement) throws {
        let (ipv6, hops) = (placement.ipv6, placement.hops)
        let scene = try Scene(interceptorAt: placement.router, ipv6: ipv6)
        defer { scene.stop() }
        let started = Date()
        let result = try scene.probe(["--format", "json"])
        #expect(Date().timeIntervalSince(started) < 15)
        let (_, location) = try Self.alertThenLocation(result)
        #expect(Self.event(location)["action"] as? String == "interceptor-located")
        #expect(Self.event(location)["outcome"] as? String == "success")
        #expect(Self.probeFields(location)["interceptor_hops"] as? Int == hops)
        #expect(Self.probeFields(location)["locate_ended"] as? String == "located")
        #expect(Self.tries(location) == (1..<hops).map { "\($0):time-exceeded" } + ["\(hops):forged-chain"])
        let destination = location["destination"] as? [String: Any]
        #expect(destination?["ip"] as? String == scene.path.origin(ipv6: ipv6))
        #expect(destination?["port"] as? Int == Int(scene.origin.port))
        #expect(result.stderr.contains("looking for the interceptor"))
    }

    @Test func textSaysTheDistanceInWordsAndNoLocateSkipsIt() throws {
        let scene = try Scene(interceptorAt: .r2)
        defer { scene.stop() }
        let text = try scene.probe(["--max-hops", "4"])
        #expect(text.status == 3)
        #expect(text.lines.last == "the interceptor of www.facebook.example at \(scene.target) is 2 hops from this gateway "
            + "(TTL 1: time exceeded; TTL 2: the forged chain)", "\(text.stdout)")

        let skipped = try scene.probe(["--format", "json", "--no-locate"])
        #expect(skipped.status == 3)
        let records = try Probe.json(skipped)
        #expect(!Probe.alerts(records).isEmpty)
        #expect(!records.contains { Self.event($0)["action"] != nil })
        #expect(!skipped.stderr.contains("looking for the interceptor"))
    }

    /// Only the alerting probe's connection is intercepted: the tries go past r2 to the origin,
    /// whose clean chain comes back at TTL 3 — said so, with no hop count.
    @Test func anotherChainFirstIsNotALocation() throws {
        let scene = try Scene(interceptorAt: .r2, interceptedConnections: 1)
        defer { scene.stop() }
        let result = try scene.probe(["--format", "json"])
        let (_, location) = try Self.alertThenLocation(result)
        #expect(Self.event(location)["action"] as? String == "interceptor-not-located")
        #expect(Self.event(location)["outcome"] as? String == "failure")
        #expect(Self.probeFields(location)["interceptor_hops"] == nil)
        #expect(Self.probeFields(location)["locate_ended"] as? String == "other-chain")
        #expect(Self.tries(location) == ["1:time-exceeded", "2:time-exceeded", "3:other-chain"])
        #expect((location["message"] as? String)?.contains("another chain came back first") == true)
    }

    /// r1 sends no ICMP errors: TTL 1 gets no answer until the try's timeout (here the probe's 2 s),
    /// and the search goes on. That try's connection, accepted by the interceptor (the SYN went
    /// at the default TTL) but never sent its ClientHello, must be reset on the way out — else the
    /// one-at-a-time s_server would still be waiting on it when TTL 2 connects.
    @Test func aSilentRouterIsPassedAfterTheTryTimeout() throws {
        let scene = try Scene(interceptorAt: .r2)
        defer { scene.stop() }
        try scene.path.silence(.r1)
        let started = Date()
        let result = try scene.probe(["--format", "json"], timeout: 2)
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed > 1.9 && elapsed < 8, "\(elapsed) s")
        let (_, location) = try Self.alertThenLocation(result)
        #expect(Self.probeFields(location)["interceptor_hops"] as? Int == 2)
        #expect(Self.tries(location) == ["1:no-answer", "2:forged-chain"])
    }

    /// The search stops at --max-hops when the forged chain is further.
    @Test func maxHopsBoundsTheTries() throws {
        let scene = try Scene(interceptorAt: .r2)
        defer { scene.stop() }
        let result = try scene.probe(["--format", "json", "--max-hops", "1"])
        let (_, location) = try Self.alertThenLocation(result)
        #expect(Self.probeFields(location)["locate_ended"] as? String == "max-hops")
        #expect(Self.probeFields(location)["max_hops"] as? Int == 1)
        #expect(Self.tries(location) == ["1:time-exceeded"])
    }
}
