import Detector
import OpenSSLBridge
import Sniffer

/// `probe.follow_unobserved`: takes passive sessions whose chain could not be seen from the
/// queue, skips those excluded, probed recently or over the rate, and probes the same server
/// address, port and SNI offering TLS 1.2 and 1.3. A probe that cannot complete is counted and
/// said once per (server, SNI), not alerted.
struct FollowUpProber {
    private let queue: FollowUpQueue
    private var cache = FollowUpCache(capacity: Self.cacheCapacity)
    private var rate: FollowUpRateLimit
    /// (server, SNI) whose failure was already said.
    private var failuresSaid = Set<FollowUpKey>()

    static let cacheCapacity = 65_536
    static let failuresSaidKept = 4096

    init(queue: FollowUpQueue) {
        self.queue = queue
        rate = FollowUpRateLimit(perMinute: queue.settings.maxPerMinute)
    }

    mutating func handle(_ candidate: FollowUpCandidate, now: Double, runner: inout ProbeRunner) {
        let settings = queue.settings
        if runner.isOwn(candidate.client) { return queue.count(.ownProbe) }
        if FollowUpExclusion(settings.exclude).excludes(candidate.key.serverName) { return queue.count(.excluded) }
        if cache.isFresh(candidate.key, now: now, seconds: settings.cacheSeconds) { return queue.count(.cached) }
        rate.setLimit(settings.maxPerMinute)
        guard rate.admit(now: now) else { return queue.count(.rate) }
        cache.record(candidate.key, now: now, seconds: settings.cacheSeconds)
        var request = TLSProbeRequest(host: candidate.key.server.address.description, port: candidate.key.server.port,
                                      serverName: candidate.key.serverName)
        request.versions = .any
        request.timeoutSeconds = settings.timeoutSeconds
        request.sourceAddress = settings.sourceAddress
        switch runner.probe(request, trigger: .unobservedSession, triggeringSession: candidate.sessionID) {
        case .success:
            failuresSaid.remove(candidate.key)
        case .failure(let error):
            guard !failuresSaid.contains(candidate.key) else { return }
            if failuresSaid.count >= Self.failuresSaidKept { failuresSaid.removeAll() }
            failuresSaid.insert(candidate.key)
            Log.info("follow-up probe of \(candidate.key) (session \(candidate.sessionID)) could not complete: "
                + "\(error.kind.rawValue): \(error.detail)")
        }
    }
}
