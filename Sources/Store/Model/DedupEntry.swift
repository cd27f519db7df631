/// One alert deduplication key's state: when its alert was last emitted (capture time, ns) and
/// how many repeats were suppressed since, so a restart does not raise a burst again.
public struct DedupEntry: Sendable, Equatable {
    public var key: String
    public var lastEmittedNanoseconds: Int64
    public var suppressed: Int

    public init(key: String, lastEmittedNanoseconds: Int64, suppressed: Int) {
        self.key = key
        self.lastEmittedNanoseconds = lastEmittedNanoseconds
        self.suppressed = suppressed
    }
}
