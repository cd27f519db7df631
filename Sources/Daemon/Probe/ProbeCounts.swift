import Detector

/// What the daemon's prober did, for the metrics (`mitmwatch_probes_total{trigger,result}`,
/// `mitmwatch_probe_skipped_total{reason}`, `mitmwatch_probe_path_checks_total{seen}`,
/// `mitmwatch_probe_locations_total{result}`).
struct ProbeCounts: Equatable, Sendable {
    struct Tally: Hashable, Sendable {
        var trigger: ProbeDetails.Trigger
        var completed: Bool
    }

    var probes: [Tally: Int] = [:]
    var skipped: [FollowUpQueue.SkipReason: Int] = [:]
    /// Watch-list TLS 1.2 probes whose own handshake passive capture saw (true) or not (false).
    var pathChecks: [Bool: Int] = [:]
    /// Interceptor searches after a probe's alert: located (true) or not.
    var locations: [Bool: Int] = [:]

    func probes(_ trigger: ProbeDetails.Trigger, completed: Bool) -> Int {
        probes[Tally(trigger: trigger, completed: completed)] ?? 0
    }
}
