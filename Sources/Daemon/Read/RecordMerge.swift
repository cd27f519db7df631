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

    /// Writes the chosen worker's waiting records, as many in a row as come before anything
    /// another worker has waiting or may still report, in one copy.
    private mutating func take(from index: Int) {
        let batch = sources[index].batch!
        let first = sources[index].next
        var last = first + 1
        while last < batch.ends.count, precedesOthers(batch.keys[last], chosen: index) { last += 1 }
        let start = first == 0 ? 0 : batch.ends[first - 1]
        output.append(contentsOf: batch.bytes[start..<batch.ends[last - 1]])
        sources[index].next = last
        if output.count >= ReadWorker.batchBytes {
            write(output)
            output.removeAll(keepingCapacity: true)
        }
    }

    private func precedesOthers(_ key: RecordOrder, chosen: Int) -> Bool {
        for index in sources.indices where index != chosen && !sources[index].finished {
            if let head = sources[index].head {
                if !(key < head) { return false }
            } else if key.frame > sources[index].watermark {
                return false
            }
        }
        return true
    }
}
