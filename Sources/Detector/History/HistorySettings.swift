/// The history rules' thresholds (`rules.issuer-change.*`, `rules.tls-downgrade.*`,
/// `rules.server-profile-change.*`): when a name's history is settled enough to judge a change.
public struct HistorySettings: Sendable, Equatable {
    public struct Threshold: Sendable, Equatable {
        public var enabled: Bool
        /// Observations of the name before it is judged.
        public var minObservations: Int
        /// Days between the first observation and now before it is judged.
        public var minDays: Double

        public init(enabled: Bool = true, minObservations: Int, minDays: Double) {
            self.enabled = enabled
            self.minObservations = minObservations
            self.minDays = minDays
        }

        func settled(observations: Int, since first: Double?, now: Double) -> Bool {
            guard enabled, observations >= minObservations, let first else { return false }
            return now - first >= minDays * 86_400
        }
    }

    public var issuerChange = Threshold(minObservations: 10, minDays: 3)
    public var tlsDowngrade = Threshold(minObservations: 10, minDays: 1)
    public var serverProfileChange = Threshold(minObservations: 20, minDays: 3)
    /// Names whose histories are kept in memory (`HistoryBook`), per generation.
    public var names = 100_000

    public init() {}
}
