import Dispatch
import Synchronization

/// A bounded queue of record batches from one `read` worker to the writer. A worker that gets
/// more than `capacity` batches ahead of the writer waits: a fast shard cannot pile up records
/// while the writer waits for a slow one.
final class BatchChannel: Sendable {
    private let queue = Mutex<[RecordBatch]>([])
    private let free: DispatchSemaphore
    private let ready = DispatchSemaphore(value: 0)

    init(capacity: Int) {
        free = DispatchSemaphore(value: capacity)
    }

    func send(_ batch: RecordBatch) {
        free.wait()
        queue.withLock { $0.append(batch) }
        ready.signal()
    }

    func receive() -> RecordBatch {
        ready.wait()
        let batch = queue.withLock { $0.removeFirst() }
        free.signal()
        return batch
    }
}
