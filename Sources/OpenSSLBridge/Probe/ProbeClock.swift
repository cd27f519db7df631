#if canImport(Glibc)
import Glibc
#endif

/// The probe's one deadline (monotonic) and the wall-clock times its result reports.
struct ProbeClock {
    let deadline: ContinuousClock.Instant
    let timeoutSeconds: Double

    init(timeoutSeconds: Double) {
        self.timeoutSeconds = timeoutSeconds
        deadline = ContinuousClock.now.advanced(by: .seconds(timeoutSeconds))
    }

    /// Milliseconds left until the deadline, rounded up (0 once it has passed), as poll takes them.
    var remainingMilliseconds: Int32 {
        let (seconds, attoseconds) = ContinuousClock.now.duration(to: deadline).components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }

    /// Unix seconds.
    static var wallClock: Double {
        var now = timespec()
        // unsafe: clock_gettime writes one timespec into `now`, which outlives the call.
        _ = unsafe clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
