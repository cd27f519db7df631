import Foundation
import TestSupport

/// Four network namespaces in a line — client → r1 → r2 → origin — joined by veth pairs and
/// routed both ways over IPv4 and IPv6; the two routers forward and send ICMP errors without
/// Linux's rate limit (1 per second per destination by default). Names are unique per instance;
/// the namespaces (and with them the veth pairs and nftables rules) are deleted in deinit.
/// Processes started in them are the caller's to stop.
final class RoutedPath {
    enum Node: Int, CaseIterable {
        case client, r1, r2, origin
    }

    /// Root, `ip`, `nft` and `sysctl`: what building a path needs.
    static var unavailableReason: String? {
        if getuid() != 0 { return "network namespaces need root" }
        for tool in ["/usr/sbin/ip", "/usr/sbin/nft", "/usr/sbin/sysctl"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing (scripts/setup.sh installs iproute2 and nftables)"
        }
        return nil
    }

    private let id: Int
    private var made: [Node] = []

    init() throws {
        id = Int.random(in: 10_000...99_999)
        do {
            try build()
        } catch {
            tearDown()
            throw error
        }
    }

    deinit { tearDown() }

    func namespace(_ node: Node) -> String { "mwloc\(id)-\(node)" }

    /// The origin's address (the only one the client probes).
    func origin(ipv6: Bool) -> String { ipv6 ? "fd71:3::2" : "10.71.3.2" }

    /// Runs `arguments` inside `node`'s namespace; throws with the tool's stderr when it fails.
    @discardableResult
    func run(_ node: Node, _ arguments: [String]) throws -> String {
        try ToolProcess.run("/usr/sbin/ip", ["netns", "exec", namespace(node)] + arguments, in: "/")
    }

    /// At `node`, new TCP connections to the origin's `port` (the first `connections` of them,
    /// every one when nil) are redirected to the local `to` port: an interceptor on that router.
    func intercept(at node: Node, port: UInt16, to local: UInt16, connections: Int? = nil) throws {
        let only = connections.map { " numgen inc mod 1000000 < \($0)" } ?? ""
        try run(node, ["/usr/sbin/nft", "add table inet mwloc; "
            + "add chain inet mwloc prerouting { type nat hook prerouting priority dstnat; }; "
            + "add rule inet mwloc prerouting ip daddr \(origin(ipv6: false)) tcp dport \(port)\(only) redirect to :\(local); "
            + "add rule inet mwloc prerouting ip6 daddr \(origin(ipv6: true)) tcp dport \(port)\(only) redirect to :\(local)"])
    }

    /// `node` sends no ICMP time exceeded (a router that drops them, as many do).
    func silence(_ node: Node) throws {
        try run(node, ["/usr/sbin/nft", "add table inet mwlocsilent; "
            + "add chain inet mwlocsilent output { type filter hook output priority filter; }; "
            + "add rule inet mwlocsilent output icmp type time-exceeded drop; "
            + "add rule inet mwlocsilent output icmpv6 type time-exceeded drop"])
    }

    /// Link k joins node k-1 (address …k.1 / fd71:k::1) and node k (…k.2 / fd71:k::2).
    private func build() throws {
        for node in Node.allCases {
            try ip(["netns", "add", namespace(node)])
            made.append(node)
            try ip(["-n", namespace(node), "link", "set", "lo", "up"])
        }
        for link in 1...3 {
            let left = Node(rawValue: link - 1)!, right = Node(rawValue: link)!
            let leftName = "mwl\(id)l\(link)", rightName = "mwl\(id)r\(link)"
            try ip(["link", "add", leftName, "netns", namespace(left), "type", "veth",
                    "peer", "name", rightName, "netns", namespace(right)])
            for (node, name, host) in [(left, leftName, 1), (right, rightName, 2)] {
                try ip(["-n", namespace(node), "addr", "add", "10.71.\(link).\(host)/24", "dev", name])
                try ip(["-n", namespace(node), "addr", "add", "fd71:\(link)::\(host)/64", "dev", name, "nodad"])
                try ip(["-n", namespace(node), "link", "set", name, "up"])
            }
        }
        try route(.client, "default", via: 1, host: 2)
        try route(.r1, "default", via: 2, host: 2)
        try route(.r2, "10.71.1.0/24", "fd71:1::/64", via: 2, host: 1)
        try route(.origin, "default", via: 3, host: 1)
        for router in [Node.r1, .r2] {
            try run(router, ["/usr/sbin/sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
                             "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0"])
        }
    }

    private func route(_ node: Node, _ destination: String, _ destination6: String? = nil, via link: Int, host: Int) throws {
        try ip(["-n", namespace(node), "route", "add", destination, "via", "10.71.\(link).\(host)"])
        try ip(["-n", namespace(node), "-6", "route", "add", destination6 ?? destination, "via", "fd71:\(link)::\(host)"])
    }

    private func ip(_ arguments: [String]) throws {
        try ToolProcess.run("/usr/sbin/ip", arguments, in: "/")
    }

    private func tearDown() {
        for node in made { _ = try? ip(["netns", "del", namespace(node)]) }
        made = []
    }
}
