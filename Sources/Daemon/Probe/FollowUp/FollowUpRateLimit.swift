/// `probe.max_per_minute`: at most that many probes start in any 60 seconds. A sliding window
/// (the start times of the last `limit` probes) rather than a token bucket: a bucket that starts
/// full lets through its capacity plus a minute's refill — twice the limit — in one minute.
struct FollowUpRateLimit {
    static let maxPerMinute = 3600
    static let window = 60.0

    private(set) var limit: Int
    /// Start times, oldest first, as a ring of at most `limit` entries.
    private var starts: [Double] = []
    private var oldest = 0

    init(perMinute limit: Int) { self.limit = max(1, min(limit, Self.maxPerMinute)) }

    /// Takes a slot at `now` (monotonic seconds) if the last `limit` starts are not all within the
    /// last 60 seconds.
    mutating func admit(now: Double) -> Bool {
        if starts.count < limit {
            starts.append(now)
            return true
        }
        guard now - starts[oldest] >= Self.window else { return false }
        starts[oldest] = now
        oldest = (oldest + 1) % starts.count
        return true
    }

    /// A new limit (reload), keeping the most recent starts that still count.
    mutating func setLimit(_ newLimit: Int) {
        let newLimit = max(1, min(newLimit, Self.maxPerMinute))
        guard newLimit != limit else { return }
        let ordered = Array(starts[oldest...] + starts[..<oldest])
        starts = Array(ordered.suffix(newLimit))
        oldest = 0
        limit = newLimit
    }
}
