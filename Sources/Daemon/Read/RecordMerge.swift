/// Writes the records of several `read` workers in the order one worker would have made them
/// (``RecordOrder``). A record is written only when no worker can still report one before it:
/// every other worker has either a later record waiting or has processed every frame up to the
/// record's (its watermark), so whatever it reports later comes after.
struct RecordMerge {
    private struct Source {
        let channel: BatchChannel
        var batch: RecordBatch?
        var next = 0

        var pending: Bool { batch.map { next < $0.ends.count } ?? false }
        var finished: Bool { batch?.isLast == true && !pending }
        /// The next record this worker has waiting, or nil when it has none.
        var head: RecordOrder? { pending ? batch!.keys[next] : nil }
        /// Frames this worker has processed: it can report nothing more at or before them.
        var watermark: UInt64 { batch?.watermark ?? 0 }
    }

    private var sources: [Source]
    private var output: [UInt8] = []
    private let write: ([UInt8]) -> Void

    init(_ channels: [BatchChannel], write: @escaping ([UInt8]) -> Void) {
        sources = channels.map { Source(channel: $0) }
        self.write = write
        output.reserveCapacity(ReadWorker.batchBytes * 2)
    }

    mutating func run() {
        while let chosen = earliest() {
            if sources[chosen].pending {
                take(from: chosen)
            } else {
                sources[chosen].batch = sources[chosen].channel.receive()
                sources[chosen].next = 0
            }
        }
        if !output.isEmpty { write(output) }
    }

    /// The worker to serve next: one that must be heard from (nothing waiting, and a watermark
    /// before the earliest record waiting elsewhere), else the one whose waiting record comes
    /// first; nil when all are finished.
    private func earliest() -> Int? {
        var first: Int?
        for index in sources.indices where !sources[index].finished {
            guard let head = sources[index].head else { continue }
            if first == nil || head < sources[first!].head! { first = index }
        }
        for index in sources.indices where !sources[index].finished && sources[index].head == nil {
            guard let first else { return index }
            if sources[index].watermark < sources[first].head!.frame { return index }
        }
        return first
    }

    private mutating func take(from index: Int) {
        let batch = sources[index].batch!
        let record = sources[index].next
        let start = record == 0 ? 0 : batch.ends[record - 1]
        output.append(contentsOf: batch.bytes[start..<batch.ends[record]])
        sources[index].next += 1
        if output.count >= ReadWorker.batchBytes {
            write(output)
            output.removeAll(keepingCapacity: true)
        }
    }
}
