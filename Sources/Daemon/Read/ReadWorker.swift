import Detector
import Synchronization
import Output
import Sniffer
import Store

/// One `read` worker: every frame of the input through its own pipeline, rule set and caches,
/// keeping the flows of its shard (all of them when it is the only worker), its records handed
/// on in batches of about `batchBytes`.
struct ReadWorker {
    let limits: SnifferLimits
    let configuration: DetectionConfiguration
    let shard: FlowShard?
    var records: ReadRecords
    /// The observation store's sink (`read --state`): every report is folded into history.
    var sink: ObservationSink? = nil

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
        var evidenceFrames = EvidenceCounts()
    }

    func run(_ captures: [PcapFile], emit: @escaping (RecordBatch) -> Void) -> Result {
        let output = WorkerOutput(records: records, emit: emit)
        let sink = sink
        let observer = DetectionObserver(rules: RuleSet(configuration)) { report in
            output.add(report)
            sink?.record(report)
        }
        var pipeline = Pipeline(limits: limits, observer: observer, shard: shard)
        var result = Result()
        var frame: UInt64 = 0
        for capture in captures {
            var packets = 0
            let outcome = capture.forEachPacket { bytes, originalLength, time, linkType in
                packets += 1
                frame += 1
                output.frame.store(frame, ordering: .relaxed)
                pipeline.process(frame: bytes, originalLength: originalLength, linkType: linkType, at: time)
                if frame % Self.watermarkFrames == 0 { output.handOn(watermark: frame) }
            }
            result.files.append(.init(path: capture.path, format: capture.format, linkTypes: capture.linkTypes,
                                      packets: packets, drops: capture.report.drops, outcome: outcome))
        }
        // Sessions still open at the end are reported "after" the last frame.
        output.frame.store(frame + 1, ordering: .relaxed)
        pipeline.finish()
        output.handOn(watermark: .max)
        result.frameCounters = pipeline.frameCounters
        result.flowCounters = pipeline.flowCounters
        result.reassemblyPeakBytes = pipeline.reassemblyPeakBytes
        result.certificateCacheHits = pipeline.certificateCache.hits
        result.certificateCacheMisses = pipeline.certificateCache.misses
        result.alerts = output.records.alerts
        result.alertsSuppressed = output.records.suppressed
        result.evidenceFrames = pipeline.evidenceCounts
        return result
    }
}

/// A worker's records on their way out: written by the observer, once per session, and handed
/// on in batches of about `ReadWorker.batchBytes` — by the observer itself when a batch fills,
/// so one frame that ends many sessions (an idle sweep, the end of input) never piles up more.
/// The frame being processed is an atomic only so the per-frame loop can set it without the
/// dynamic exclusivity checks a captured variable costs; one thread uses all of it.
private final class WorkerOutput {
    var records: ReadRecords
    private var json = JSONBuffer(capacity: ReadWorker.batchBytes + 16384)
    private var ends: [Int] = []
    private var keys: [RecordOrder] = []
    let frame = Atomic<UInt64>(0)
    private let emit: (RecordBatch) -> Void

    init(records: ReadRecords, emit: @escaping (RecordBatch) -> Void) {
        self.records = records
        self.emit = emit
    }

    func add(_ report: SessionReport) {
        let before = json.count
        records.append(report, into: &json)
        guard json.count > before else { return }
        ends.append(json.count)
        let frame = frame.load(ordering: .relaxed)
        keys.append(RecordOrder(frame: frame, end: report.session.end, session: report.session.id))
        if json.count >= ReadWorker.batchBytes { handOn(watermark: frame - 1) }  // earlier frames are done
    }

    /// Hands on what is gathered, saying every frame up to `watermark` is done.
    func handOn(watermark: UInt64) {
        emit(RecordBatch(bytes: json.bytes, ends: ends, keys: keys, watermark: watermark))
        json.removeAll()
        ends.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
    }
}
