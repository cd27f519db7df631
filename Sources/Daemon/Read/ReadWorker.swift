import Detector
import Output
import Sniffer

/// One `read` worker: every frame of the input through its own pipeline, rule set and caches,
/// keeping the flows of its shard (all of them when it is the only worker), its records handed
/// on in batches of about `batchBytes`.
struct ReadWorker {
    let limits: SnifferLimits
    let configuration: DetectionConfiguration
    let shard: FlowShard?
    var records: ReadRecords

    /// Bytes of records gathered before they are handed on (one write(2) per record would cost
    /// more than finding them).
    static let batchBytes = 64 << 10
    /// A worker whose shard reports nothing still says how far it got this often, so the writer
    /// never waits on it for longer than this many frames.
    static let watermarkFrames: UInt64 = 16_384

    struct Result {
        var files: [RunSummary.File] = []
        var frameCounters = Counters()
        var flowCounters = Counters()
        var reassemblyPeakBytes = 0
        var certificateCacheHits: UInt64 = 0
        var certificateCacheMisses: UInt64 = 0
        var alerts = 0
        var alertsSuppressed = 0
    }

    func run(_ captures: [PcapFile], emit: @escaping (RecordBatch) -> Void) -> Result {
        var records = self.records
        var output = JSONBuffer(capacity: Self.batchBytes + 16384)
        var ends: [Int] = [], keys: [RecordOrder] = []
        var frame: UInt64 = 0
        func handOn(watermark: UInt64) {
            emit(RecordBatch(bytes: output.bytes, ends: ends, keys: keys, watermark: watermark))
            output.removeAll()
            ends.removeAll(keepingCapacity: true)
            keys.removeAll(keepingCapacity: true)
        }
        let observer = DetectionObserver(rules: RuleSet(configuration)) { report in
            let before = output.count
            records.append(report, into: &output)
            if output.count > before {
                ends.append(output.count)
                keys.append(RecordOrder(frame: frame, end: report.session.end, session: report.session.id))
            }
            // One frame can end many sessions (an idle sweep, the end of input): hand on as it goes;
            // the frames before this one are done.
            if output.count >= Self.batchBytes { handOn(watermark: frame - 1) }
        }
        var pipeline = Pipeline(limits: limits, observer: observer, shard: shard)
        var result = Result()
        for capture in captures {
            var packets = 0
            let outcome = capture.forEachPacket { bytes, originalLength, time, linkType in
                packets += 1
                frame += 1
                pipeline.process(frame: bytes, originalLength: originalLength, linkType: linkType, at: time)
                if output.count >= Self.batchBytes || frame % Self.watermarkFrames == 0 { handOn(watermark: frame) }
            }
            result.files.append(.init(path: capture.path, format: capture.format, linkTypes: capture.linkTypes,
                                      packets: packets, drops: capture.report.drops, outcome: outcome))
        }
        frame += 1  // sessions still open at the end are reported "after" the last frame
        pipeline.finish()
        handOn(watermark: .max)
        result.frameCounters = pipeline.frameCounters
        result.flowCounters = pipeline.flowCounters
        result.reassemblyPeakBytes = pipeline.reassemblyPeakBytes
        result.certificateCacheHits = pipeline.certificateCache.hits
        result.certificateCacheMisses = pipeline.certificateCache.misses
        result.alerts = records.alerts
        result.alertsSuppressed = records.suppressed
        return result
    }
}
