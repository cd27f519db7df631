import Sniffer

/// Records one `read` worker made, handed to the thread that writes them: whole lines, each
/// report's lines tagged with the number of the frame that ended its session, so the writer can
/// put several workers' records back in the order one worker would have made them.
struct RecordBatch: Sendable {
    var bytes: [UInt8]
    /// Per report, where its lines end in `bytes` and where it goes in the order.
    var ends: [Int]
    var keys: [RecordOrder]
    /// Every frame up to this one has been processed: the worker's later records are all
    /// reported at later frames. `UInt64.max` on the worker's last batch.
    var watermark: UInt64

    var isLast: Bool { watermark == .max }

    static func last() -> RecordBatch { RecordBatch(bytes: [], ends: [], keys: [], watermark: .max) }
}

/// Where a session's records go in `read`'s output: after every session ended at an earlier
/// frame; among sessions ended by the same frame (expired by its capture time, or still open at
/// the end), by the time each ended, then in the order they began (their ids). One worker
/// reports in this order by itself; the writer merges several workers' by it.
struct RecordOrder: Comparable, Sendable {
    var frame: UInt64
    var end: Timestamp
    var session: UInt64

    static func < (a: RecordOrder, b: RecordOrder) -> Bool {
        (a.frame, a.end, a.session) < (b.frame, b.end, b.session)
    }
}
