import Certificates
import Detector
import Foundation
import OpenSSLBridge
import Sniffer

/// The prober thread of `probe.follow_unobserved`: takes passive sessions whose chain could not
/// be seen from the queue, skips those excluded, probed recently or over the rate, connects to
/// the same server address, port and SNI offering TLS 1.2 and 1.3, judges the chain it is shown
/// with the current detection setup and reports it like a passive session (journal, JSON log).
/// A probe that cannot complete is counted and said once per (server, SNI), not alerted.
struct FollowUpProber {
    private let queue: FollowUpQueue
    private let detection: DetectionBroadcast
    private let outputs: SharedOutputs
    private var generation: Int
    private var rules: RuleSet
    private var certificates = CertificateCache()
    private var cache = FollowUpCache(capacity: Self.cacheCapacity)
    private var rate: FollowUpRateLimit
    /// Local ends of the latest probes, so capture's view of them is not followed up in turn.
    private var ownEnds: [Endpoint] = []
    private var ownEndsNext = 0
    /// (server, SNI) whose failure was already said.
    private var failuresSaid = Set<FollowUpKey>()
    private var nextID: UInt64 = 0

    static let cacheCapacity = 65_536
    static let ownEndsKept = 256
    static let failuresSaidKept = 4096
    /// Probe session ids are counted from here: capture numbers its sessions from 1.
    static let firstSessionID: UInt64 = 1 << 62

    init(queue: FollowUpQueue, detection: DetectionBroadcast, outputs: SharedOutputs) {
        self.queue = queue
        self.detection = detection
        self.outputs = outputs
        let (generation, prepared) = detection.latest()
        self.generation = generation
        rules = RuleSet(prepared)
        rate = FollowUpRateLimit(perMinute: queue.settings.maxPerMinute)
    }

    /// Until the queue is stopped.
    mutating func run() {
        while !queue.isStopping {
            guard let candidate = queue.take(waiting: 0.25) else { continue }
            handle(candidate, now: Daemon.now())
        }
    }

    mutating func handle(_ candidate: FollowUpCandidate, now: Double) {
        let settings = queue.settings
        if ownEnds.contains(candidate.client) { return queue.count(.ownProbe) }
        if FollowUpExclusion(settings.exclude).excludes(candidate.key.serverName) { return queue.count(.excluded) }
        if cache.isFresh(candidate.key, now: now, seconds: settings.cacheSeconds) { return queue.count(.cached) }
        rate.setLimit(settings.maxPerMinute)
        guard rate.admit(now: now) else { return queue.count(.rate) }
        cache.record(candidate.key, now: now, seconds: settings.cacheSeconds)
        if let fresh = detection.newer(than: generation) {
            generation = fresh.generation
            rules = RuleSet(fresh.detection)
        }
        probe(candidate, settings: settings)
    }

    private mutating func probe(_ candidate: FollowUpCandidate, settings: DaemonConfig.Probe) {
        var request = TLSProbeRequest(host: candidate.key.server.address.description, port: candidate.key.server.port,
                                      serverName: candidate.key.serverName)
        request.versions = .any
        request.timeoutSeconds = settings.timeoutSeconds
        request.sourceAddress = settings.sourceAddress
        switch TLSProbe.run(request) {
        case .success(let result):
            if let local = HostAddress.parse(result.localHost) { remember(Endpoint(address: local, port: result.localPort)) }
            queue.countProbe(completed: true)
            failuresSaid.remove(candidate.key)
            nextID += 1
            outputs.report(ProbeSession.report(result, request: request, id: Self.firstSessionID + nextID,
                                               trigger: .unobservedSession, triggeringSession: candidate.sessionID,
                                               rules: &rules, cache: &certificates))
        case .failure(let error):
            queue.countProbe(completed: false)
            guard !failuresSaid.contains(candidate.key) else { return }
            if failuresSaid.count >= Self.failuresSaidKept { failuresSaid.removeAll() }
            failuresSaid.insert(candidate.key)
            Log.info("follow-up probe of \(candidate.key) (session \(candidate.sessionID)) could not complete: "
                + "\(error.kind.rawValue): \(error.detail)")
        }
    }

    private mutating func remember(_ end: Endpoint) {
        if ownEnds.count < Self.ownEndsKept {
            ownEnds.append(end)
        } else {
            ownEnds[ownEndsNext] = end
            ownEndsNext = (ownEndsNext + 1) % Self.ownEndsKept
        }
    }
}

/// The prober's thread, started with the capture threads and stopped with them.
final class FollowUpThread {
    let queue: FollowUpQueue
    private var finished: DispatchSemaphore?

    init(_ settings: DaemonConfig.Probe) { queue = FollowUpQueue(settings) }

    func start(detection: DetectionBroadcast, outputs: SharedOutputs) {
        let done = DispatchSemaphore(value: 0)
        finished = done
        let queue = self.queue
        let thread = Thread {
            Thread.current.name = "mitmwatch-probe"
            var prober = FollowUpProber(queue: queue, detection: detection, outputs: outputs)
            prober.run()
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Stops taking sessions and waits for a probe in flight to end (it ends by its timeout);
    /// false when it did not within `seconds`.
    func stop(waiting seconds: Double) -> Bool {
        queue.stop()
        guard let finished else { return true }
        self.finished = nil
        return finished.wait(timeout: .now() + seconds) == .success
    }
}
