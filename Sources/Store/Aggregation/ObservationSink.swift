import Detector
import Synchronization

/// Where reports go to become history: one aggregator behind a lock, drained into the writer's
/// queue when full and by the writer every `flushSeconds`.
///
/// One shared aggregator rather than one per capture thread: a report costs a few hash lookups
/// under the lock (no allocation once a chain or profile is known, no I/O), sessions end far
/// less often than packets arrive, and `SharedOutputs.report` already takes a lock per report —
/// while per-thread aggregators would each need their own drain, and the same chain would be
/// pending once per thread. The lock is never held across a write: the writer only swaps the
/// aggregator's tables out under it.
public final class ObservationSink: Sendable {
    private let aggregator: SharedAggregator
    public let writer: StoreWriter

    public init(configuration: StoreWriterConfiguration, aggregatorCapacity: Int = ObservationAggregator.defaultCapacity,
                open: @escaping StoreWriter.Open, say: @escaping @Sendable (String) -> Void) {
        let aggregator = SharedAggregator(capacity: aggregatorCapacity)
        self.aggregator = aggregator
        writer = StoreWriter(configuration: configuration, open: open, collect: { aggregator.drain() }, say: say)
    }

    /// Starts the writer's thread (`read` at once; the daemon after switching user).
    public func start() { writer.start() }

    /// Folds a report in; when the aggregator is full its batch goes to the writer's queue (or is
    /// dropped and counted when the queue is full too). Never waits for the store.
    public func record(_ report: SessionReport) {
        if let batch = aggregator.add(report) { writer.submit(batch) }
    }

    /// Replaces the saved alert deduplication state (queued like a batch; never waits).
    public func saveDedup(_ entries: [DedupEntry]) {
        var batch = StoreBatch()
        batch.dedup = entries
        _ = writer.submit(batch)
    }

    /// Writes everything recorded so far; returns when done.
    public func flush() { writer.flush() }

    /// Writes everything recorded so far and stops the writer (end of `read`, SIGTERM).
    public func finish() { writer.stop() }

    public var counters: StoreCounters { writer.counters }
    /// Aggregates pending in memory now.
    public var pending: Int { aggregator.pending }
}

/// The aggregator and its lock.
final class SharedAggregator: Sendable {
    private let state: Mutex<ObservationAggregator>

    init(capacity: Int) { state = Mutex(ObservationAggregator(capacity: capacity)) }

    /// Adds the report; returns the batch to hand on when that made the aggregator full.
    func add(_ report: SessionReport) -> StoreBatch? {
        state.withLock { aggregator in
            aggregator.add(report)
            return aggregator.isFull ? aggregator.drain() : nil
        }
    }

    func drain() -> StoreBatch? {
        state.withLock { $0.isEmpty ? nil : $0.drain() }
    }

    var pending: Int { state.withLock { $0.pending } }
}
