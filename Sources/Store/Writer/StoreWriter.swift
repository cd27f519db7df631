import Dispatch
import Foundation
import Synchronization

/// Writes batches to the store on its own thread, through a bounded queue: producers never wait
/// for it. Every `flushSeconds` it takes what the aggregator gathered (`collect`; not while the
/// store fails), then writes each waiting batch in one transaction. A store that is locked, full or broken is said once
/// (`say`) per episode, counted, and retried with backoff while batches wait; what does not fit
/// in the queue is dropped and counted. Retention and the size cap run every `maintenanceSeconds`.
public final class StoreWriter: Sendable {
    public typealias Open = @Sendable () throws(StoreError) -> any ObservationStore

    private struct State {
        var queue: [StoreBatch] = []
        var counters = StoreCounters()
        /// Callers of `flush()`/`stop()` waiting for the writer to have written what was queued.
        var waiters: [DispatchSemaphore] = []
        var started = false
        var stopping = false
        var stopped = false
    }

    public let configuration: StoreWriterConfiguration
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let open: Open
    private let collect: @Sendable () -> StoreBatch?
    private let say: @Sendable (String) -> Void
    private let finished = DispatchSemaphore(value: 0)

    /// A writer whose thread `start()` starts. `open` makes the store on it (again after a
    /// failure); `collect` drains the aggregator; `say` reports a problem or a recovery in one line.
    public init(configuration: StoreWriterConfiguration, open: @escaping Open,
                collect: @escaping @Sendable () -> StoreBatch?, say: @escaping @Sendable (String) -> Void) {
        self.configuration = configuration
        self.open = open
        self.collect = collect
        self.say = say
    }

    /// Starts the writer thread (once). The daemon starts it after switching user, so the thread
    /// has the credentials the daemon runs with; batches submitted before wait in the queue.
    public func start() {
        let first = state.withLock { state in
            defer { state.started = true }
            return !state.started
        }
        guard first else { return }
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "mitmwatch-store"
        thread.start()
    }

    /// Queues a batch without waiting; a full queue drops it (counted). False when dropped.
    @discardableResult
    public func submit(_ batch: StoreBatch) -> Bool {
        guard !batch.isEmpty else { return true }
        let queued = state.withLock { state in
            guard !state.stopped, state.queue.count < configuration.queueCapacity else {
                state.counters.droppedQueueFull += UInt64(batch.observations)
                return false
            }
            state.queue.append(batch)
            state.counters.queuedBatches = state.queue.count
            return true
        }
        if queued { wake.signal() }
        return queued
    }

    /// Takes what the aggregator holds and writes everything queued now, ignoring any backoff;
    /// returns when done (batches that fail stay queued for the next try).
    public func flush() {
        start()
        let done = DispatchSemaphore(value: 0)
        let accepted = state.withLock { state in
            guard !state.stopped else { return false }
            state.waiters.append(done)
            return true
        }
        guard accepted else { return }
        wake.signal()
        done.wait()
    }

    /// Flushes one last time (a batch that fails now is dropped, counted), then ends the thread.
    public func stop() {
        start()
        let first = state.withLock { state in
            defer { state.stopping = true }
            return !state.stopping
        }
        if first { wake.signal() }
        finished.wait()
        finished.signal()  // a second stop() returns too
    }

    public var counters: StoreCounters { state.withLock { $0.counters } }

    // MARK: The writer thread.

    private func run() {
        var store: (any ObservationStore)?
        var failing: StoreError?
        var failures = 0
        var retryAt = 0.0
        var nextFlush = now + configuration.flushSeconds
        var nextMaintenance = now + min(60, configuration.maintenanceSeconds)
        while true {
            let wait = max(0, min(nextFlush, failing != nil ? retryAt : nextFlush) - now)
            _ = wake.wait(timeout: .now() + wait)
            let (waiters, stopping) = state.withLock { state in
                defer { state.waiters.removeAll() }
                return (state.waiters, state.stopping)
            }
            let urgent = stopping || !waiters.isEmpty
            if urgent || now >= nextFlush {
                // While the store fails, what is gathered stays in the aggregator, where a name's
                // repeated sessions stay one aggregate: a batch per flush would fill the queue with
                // the same rows again and again, and an outage of 8 flushes would start losing
                // history. The aggregator still hands over a batch when it is full.
                if failing == nil || urgent, let batch = collect() { enqueue(batch) }
                nextFlush = now + configuration.flushSeconds
            }
            if urgent || failing == nil || now >= retryAt {
                while let batch = state.withLock({ $0.queue.first }) {
                    do {
                        if store == nil { store = try open() }
                        try store!.write(batch, sensor: configuration.sensor)
                        state.withLock { state in
                            state.queue.removeFirst()
                            state.counters.queuedBatches = state.queue.count
                            state.counters.batchesWritten += 1
                            state.counters.observationsWritten += UInt64(batch.observations)
                        }
                        if failing != nil {
                            say("state store \(store!.path): writing again after \(failures) failed attempt(s)")
                            failing = nil
                            failures = 0
                        }
                    } catch {
                        failures += 1
                        state.withLock { $0.counters.batchesFailed += 1 }
                        if failing == nil {
                            say("state store: \(error.description); history is kept in memory and retried, "
                                + "up to \(configuration.queueCapacity) batches (beyond, dropped and counted)")
                        }
                        failing = error
                        // Reopened on the next try: a damaged file, or a server connection that died.
                        if error.isDamage || error.isDisconnected { store = nil }
                        let delay = min(configuration.maxRetrySeconds, configuration.retrySeconds * pow(2, Double(min(failures - 1, 16))))
                        retryAt = now + delay
                        break
                    }
                }
            }
            if failing == nil, now >= nextMaintenance, let store {
                maintain(store)
                nextMaintenance = now + configuration.maintenanceSeconds
            }
            for waiter in waiters { waiter.signal() }
            if stopping { break }
        }
        // What was lost is in the counters (`droppedStoreFailed`), for the caller to say.
        state.withLock { state in
            defer {
                state.queue.removeAll()
                state.counters.queuedBatches = 0
                state.stopped = true
                for waiter in state.waiters { waiter.signal() }
                state.waiters.removeAll()
            }
            state.counters.droppedStoreFailed += UInt64(state.queue.reduce(0) { $0 + $1.observations })
        }
    }

    /// A batch from the aggregator, queued like a producer's (dropped and counted when full).
    private func enqueue(_ batch: StoreBatch) {
        guard !batch.isEmpty else { return }
        state.withLock { state in
            guard state.queue.count < configuration.queueCapacity else {
                state.counters.droppedQueueFull += UInt64(batch.observations)
                return
            }
            state.queue.append(batch)
            state.counters.queuedBatches = state.queue.count
        }
    }

    private func maintain(_ store: any ObservationStore) {
        let cutoff = Int64(Date().timeIntervalSince1970) - Int64(configuration.retentionDays) * 86_400
        do {
            let expired = try store.removeHistory(lastSeenBefore: cutoff)
            let capped = try store.shrink(toBytes: configuration.maxBytes)
            let bytes = try store.usedBytes()
            state.withLock { state in
                state.counters.removedByRetention += UInt64(expired)
                state.counters.removedBySizeCap += UInt64(capped)
                state.counters.storeBytes = bytes
            }
        } catch {
            say("state store: retention and size cap: \(error.description)")
        }
    }

    private var now: Double { Date().timeIntervalSince1970 }
}
