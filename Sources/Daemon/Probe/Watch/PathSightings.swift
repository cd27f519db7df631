import Certificates
import Detector
import Sniffer
import Synchronization

/// What passive capture saw of the prober's own connections. The watch list's TLS 1.2 probe
/// sends its chain in clear: capture seeing that handshake — and the same leaf — proves the
/// sensor sees the path its users' traffic takes; not seeing it says the capture interfaces do
/// not carry this gateway's own egress.
///
/// The prober says which server it is about to connect to before it connects (its local port is
/// not known yet); capture threads keep the sessions they report to that server by client end;
/// the prober takes its own by its local end once the probe is done.
final class PathSightings: Sendable {
    struct Sighting: Sendable, Equatable {
        var sessionID: UInt64
        var leaf: CertificateFingerprint?
        var unobservedReason: String?
    }

    private struct State {
        /// Servers being probed, with how many probes of each are outstanding.
        var expected: [Endpoint: Int] = [:]
        var seen: [Endpoint: Sighting] = [:]
    }

    /// Sightings kept until taken; a probe takes its own within seconds, so only a burst of

    static let seenKept = 1024

    private let state = Mutex(State())
    /// Servers expected, read without the lock: capture threads pay one atomic load per
    /// session while no probe is out.
    private let expecting = Atomic<Int>(0)

    /// Prober: a connection to `server` is about to be made.
    func expect(_ server: Endpoint) {
        state.withLock { state in
            state.expected[server, default: 0] += 1
            expecting.store(state.expected.count, ordering: .relaxed)
        }
    }

    /// Prober: the connection's sighting was taken, or given up on.
    func stopExpecting(_ server: Endpoint) {
        state.withLock { state in
            if let count = state.expected[server], count > 1 { state.expected[server] = count - 1 } else { state.expected[server] = nil }
            expecting.store(state.expected.count, ordering: .relaxed)
        }
    }

    /// Capture thread: keeps the session when its server is being probed.
    func observe(_ report: SessionReport) {
        guard report.observation == .passive, expecting.load(ordering: .relaxed) > 0 else { return }
        let session = report.session
        let sighting = Sighting(sessionID: session.id, leaf: session.serverChain?.fingerprints.first,
                                unobservedReason: session.unobservedReason?.rawValue)
        state.withLock { state in
            guard state.expected[session.server] != nil else { return }
            if state.seen.count >= Self.seenKept { state.seen.removeAll(keepingCapacity: true) }
            state.seen[session.client] = sighting
        }
    }

    /// Prober: what capture saw of the connection from `client`, once.
    func take(client: Endpoint) -> Sighting? {
        state.withLock { $0.seen.removeValue(forKey: client) }
    }
}
