import OpenSSLBridge

/// When each watch-list probe is due. Every target is probed twice per `probe.interval_seconds`
/// — offering TLS 1.3 (and 1.2, as browsers do) and offering TLS 1.2 only, whose chain passive
/// capture can read — and the probes of a round are spaced out (at most one a second, the whole
/// round within the first half of the interval) so a long list is not a burst of connections.
struct WatchSchedule {
    struct Job: Equatable {
        var target: WatchTarget
        var versions: TLSProbeVersions
    }

    private(set) var jobs: [Job]
    private let interval: Double
    private var roundStart: Double
    private var next = 0

    init(targets: [WatchTarget], interval: Double, now: Double) {
        jobs = targets.flatMap { [Job(target: $0, versions: .any), Job(target: $0, versions: .tls12)] }
        self.interval = interval
        roundStart = now
    }

    private var spacing: Double { jobs.isEmpty ? interval : min(1, interval / 2 / Double(jobs.count)) }

    /// When the next job is due (nil: the list is empty).
    var nextDue: Double? { jobs.isEmpty ? nil : roundStart + Double(next) * spacing }

    /// The job due at `now`, if any; each is handed out once per round.
    mutating func take(now: Double) -> Job? {
        guard let due = nextDue, due <= now else { return nil }
        let job = jobs[next]
        next += 1
        if next == jobs.count {
            next = 0
            // A round that overran (probes timing out) starts the next one at once, not in a burst.
            roundStart = max(roundStart + interval, now)
        }
        return job
    }
}
