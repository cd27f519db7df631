import Foundation
import Detector
import Sniffer
import Store
import Synchronization

/// How `read` spreads the input over workers, and the runs: one worker on this thread writing
/// as it goes, or several threads — each decoding every frame and following its share of the
/// connections, as the daemon's capture workers share an interface — whose records this thread
/// merges back into the one order.
enum ReadPlan {
    static let maxWorkers = 64
    /// Below this much input one worker is done before more would have started.
    static let shardingBytes = 4 << 20
    /// Batches a worker may hold ahead of the writer (each about `ReadWorker.batchBytes`).
    static let channelCapacity = 8

    /// The workers for this input: one when asked, when `--dedup` must decide in capture order,
    /// when some input is a pipe (it can be read only once), or when the input is small.
    /// `ordered`: the sessions must be judged in capture order, one after the other (`--dedup`,
    /// and `--state`, whose history rules judge each session against those before it).
    static func workerCount(requested: Int, ordered: Bool, captures: [PcapFile]) -> Int {
        if requested == 1 || ordered || captures.contains(where: { !$0.isMapped }) { return 1 }
        if requested > 1 { return requested }
        let bytes = captures.reduce(0) { $0 + $1.byteCount }
        return bytes < shardingBytes ? 1
            : automaticWorkers(cores: ProcessInfo.processInfo.activeProcessorCount, outputToFile: StandardStreams.stdoutIsRegularFile)
    }

    /// One worker per core, at most 8 — but one core fewer when the output goes to a reader (a
    /// pipe to `jq` or a log shipper, a terminal, a socket), which needs a core of its own: on
    /// 2 cores a second worker makes `read … | consumer` no faster, and `read … > file` 1.5×
    /// faster (BENCHMARKS.md).
    static func automaticWorkers(cores: Int, outputToFile: Bool) -> Int {
        min(max(outputToFile ? cores : cores - 1, 1), 8)
    }

    /// Each worker's share of the limits, so that all of them together hold what one would.
    static func limits(_ limits: SnifferLimits, workers: Int) -> SnifferLimits {
        var share = limits
        share.flows.sessionNumbering = .frameNumber
        guard workers > 1 else { return share }
        share.flows.maxFlows = max(1, (limits.flows.maxFlows + workers - 1) / workers)
        share.reassembly.memcap = max(limits.reassembly.maxFlowBytes, limits.reassembly.memcap / workers)
        return share
    }

    static func runOne(_ captures: [PcapFile], limits: SnifferLimits, configuration: DetectionConfiguration,
                       records: ReadRecords, sink: ObservationSink? = nil) -> RunSummary {
        let worker = ReadWorker(limits: Self.limits(limits, workers: 1), configuration: configuration,
                                shard: nil, records: records, sink: sink)
        let result = worker.run(captures) { batch in StandardStreams.write(batch.bytes) }
        return summary([result], workers: 1)
    }

    static func runSharded(_ captures: [PcapFile], workers: Int, limits: SnifferLimits,
                           configuration: DetectionConfiguration, records: ReadRecords,
                           sink: ObservationSink? = nil) -> RunSummary {
        var random = SystemRandomNumberGenerator()
        let seed = (random.next() as UInt64, random.next() as UInt64)
        let share = Self.limits(limits, workers: workers)
        let files = captures.map(\.shared)  // one mapping of each file, read by every worker
        let channels = (0..<workers).map { _ in BatchChannel(capacity: channelCapacity) }
        let results = Mutex<[Int: ReadWorker.Result]>([:])
        let finished = DispatchSemaphore(value: 0)
        for index in 0..<workers {
            let channel = channels[index]
            let worker = ReadWorker(limits: share, configuration: configuration,
                                    shard: FlowShard(index: index, of: workers, seed: seed), records: records, sink: sink)
            let thread = Thread {
                let result = worker.run(files.map(PcapFile.init)) { channel.send($0) }
                results.withLock { $0[index] = result }
                finished.signal()
            }
            thread.name = "mitmwatch-r\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
        var merge = RecordMerge(channels) { StandardStreams.write($0) }
        merge.run()
        for _ in 0..<workers { finished.wait() }
        let done = results.withLock { results in (0..<workers).map { results[$0]! } }
        return summary(done, workers: workers)
    }

    /// One summary of all workers: what frames counted from the first (every worker decodes every
    /// frame), what flows counted from all.
    static func summary(_ results: [ReadWorker.Result], workers: Int) -> RunSummary {
        var summary = RunSummary()
        summary.workers = workers
        summary.files = results[0].files
        summary.counters = results[0].frameCounters
        for result in results {
            summary.sessionsByWorker.append(result.flowCounters[.tlsSessions])
            summary.counters.merge(result.flowCounters)
            summary.reassemblyPeakBytes += result.reassemblyPeakBytes
            summary.certificateCacheHits += result.certificateCacheHits
            summary.certificateCacheMisses += result.certificateCacheMisses
            summary.alerts += result.alerts
            summary.alertsSuppressed += result.alertsSuppressed
            summary.evidenceFrames.merge(result.evidenceFrames)
        }
        return summary
    }
}
