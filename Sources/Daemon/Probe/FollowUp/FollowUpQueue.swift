import Detector
import Dispatch
import Sniffer
import Synchronization

/// A passive session to follow up: where to probe and which session asked for it.
struct FollowUpCandidate: Sendable {
    var key: FollowUpKey
    /// The passive session's client end (a probe's own connection, seen by capture, has ours).
    var client: Endpoint
    var sessionID: UInt64
}

/// Between the capture threads and the prober thread: a bounded queue of sessions to follow up
/// (`probe.queue`). A capture thread only ever appends under a lock held for a few instructions;
/// when the queue is full the session is dropped and counted, never waited for.
final class FollowUpQueue: Sendable {
    enum SkipReason: String, CaseIterable, Sendable {
        case excluded, cached, rate
        case queueFull = "queue-full"
        /// The session was one of the prober's own connections, seen by capture.
        case ownProbe = "own-probe"
    }

    private struct State {
        var settings: DaemonConfig.Probe
        var enabled: Bool
        var capacity: Int
        var ring: [FollowUpCandidate?]
        var head = 0
        var count = 0
        var stopping = false
        var counts = ProbeCounts()
    }

    private let state: Mutex<State>
    private let wake = DispatchSemaphore(value: 0)

    init(_ settings: DaemonConfig.Probe) {
        state = Mutex(State(settings: settings, enabled: settings.followUnobserved, capacity: settings.queue,
                            ring: Array(repeating: nil, count: settings.queue)))
    }

    /// The unobserved reasons a probe can see past: TLS 1.3's encrypted Certificate, and a
    /// handshake without one (resumption); others (one-sided capture, gaps) are capture problems.
    /// And a passive session whose history changed (`issuer-change`, `tls-downgrade`): what does
    /// the gateway itself get shown?
    static func wantsFollowUp(_ report: SessionReport) -> Bool {
        guard report.observation == .passive else { return false }
        if report.findings.contains(where: { $0.rule == .issuerChange || $0.rule == .tlsDowngrade }) { return true }
        guard report.session.serverChain == nil else { return false }
        return report.session.unobservedReason == .tls13Encrypted || report.session.unobservedReason == .noCertificateMessage
    }

    /// Capture thread: queues the session when it is one to follow up; never blocks.
    func offer(_ report: SessionReport) {
        guard Self.wantsFollowUp(report) else { return }
        let session = report.session
        let candidate = FollowUpCandidate(key: FollowUpKey(server: session.server, serverName: session.serverName),
                                          client: session.client, sessionID: session.id)
        let queued = state.withLock { state -> Bool in
            guard state.enabled, !state.stopping else { return false }
            guard state.count < state.capacity else {
                state.counts.skipped[.queueFull, default: 0] += 1
                return false
            }
            state.ring[(state.head + state.count) % state.capacity] = candidate
            state.count += 1
            return true
        }
        if queued { wake.signal() }
    }

    /// Prober thread: the next session, waiting at most `seconds` for one (nil: none came, or
    /// the queue is stopping — see `isStopping`).
    func take(waiting seconds: Double) -> FollowUpCandidate? {
        if let next = dequeue() { return next }
        _ = wake.wait(timeout: .now() + seconds)
        return dequeue()
    }

    private func dequeue() -> FollowUpCandidate? {
        state.withLock { state in
            guard !state.stopping, state.count > 0 else { return nil }
            let next = state.ring[state.head]
            state.ring[state.head] = nil
            state.head = (state.head + 1) % state.capacity
            state.count -= 1
            return next
        }
    }

    /// The `probe.*` settings in force (the prober reads them before each probe).
    var settings: DaemonConfig.Probe { state.withLock { $0.settings } }

    var isStopping: Bool { state.withLock { $0.stopping } }

    /// Stops taking sessions; what is queued is dropped (the daemon is exiting).
    func stop() {
        state.withLock { $0.stopping = true }
        wake.signal()
    }

    /// A reloaded configuration: on or off, and a new length (sessions beyond it are dropped and counted).
    func apply(_ settings: DaemonConfig.Probe) {
        state.withLock { state in
            state.settings = settings
            state.enabled = settings.followUnobserved
            guard settings.queue != state.capacity else { return }
            var kept: [FollowUpCandidate] = []
            for offset in 0..<state.count {
                if let entry = state.ring[(state.head + offset) % state.capacity] { kept.append(entry) }
            }
            if kept.count > settings.queue {
                state.counts.skipped[.queueFull, default: 0] += kept.count - settings.queue
                kept.removeLast(kept.count - settings.queue)
            }
            state.capacity = settings.queue
            state.ring = kept.map { Optional($0) } + Array(repeating: nil, count: settings.queue - kept.count)
            state.head = 0
            state.count = kept.count
        }
    }

    func count(_ reason: SkipReason) { state.withLock { $0.counts.skipped[reason, default: 0] += 1 } }
    func countProbe(_ trigger: ProbeDetails.Trigger, completed: Bool) {
        state.withLock { $0.counts.probes[ProbeCounts.Tally(trigger: trigger, completed: completed), default: 0] += 1 }
    }
    func countPathCheck(seen: Bool) { state.withLock { $0.counts.pathChecks[seen, default: 0] += 1 } }
    func countLocation(found: Bool) { state.withLock { $0.counts.locations[found, default: 0] += 1 } }

    var counts: ProbeCounts { state.withLock { $0.counts } }
}
