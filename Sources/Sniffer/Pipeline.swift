import Certificates
/// All the bounds of one sniffer worker.
public struct SnifferLimits: Sendable {
    public var decoder = DecoderLimits()
    public var flows = FlowLimits()
    public var reassembly = ReassemblyLimits()
    /// Frames kept per followed flow for evidence bundles (off by default).
    public var evidence = EvidenceLimits()
    public init() {}
}

/// capture frame → decode → flow → TCP reassembly → TLS → observer. One per worker thread.
public struct Pipeline<Observer: TLSObserver> {
    private var decoder: PacketDecoder
    private var decodeCounters = Counters()
    private var flows: FlowProcessor
    private var lastTime = Timestamp.zero

    /// `shard`: keep only the flows of that share of the input (every frame is still decoded, so
    /// this worker's decode counters are those of the whole input).
    public init(limits: SnifferLimits = SnifferLimits(), observer: Observer,
                certificates: CertificateCache = CertificateCache(), shard: FlowShard? = nil) {
        decoder = PacketDecoder(limits: limits.decoder)
        flows = FlowProcessor(table: FlowTable(limits: limits.flows),
                              context: SnifferContext(limits: limits.reassembly, evidence: limits.evidence,
                                                      observer: observer, certificates: certificates),
                              shard: shard.flatMap { $0.count > 1 ? $0 : nil })
    }

    /// The worker's certificate cache (hits and misses for summaries and metrics).
    public var certificateCache: CertificateCache { flows.context.certificates }

    /// Everything counted so far.
    public var counters: Counters {
        var total = decodeCounters
        total.merge(flows.context.counters)
        return total
    }

    /// What frames and their decoding counted (packets, bytes, what was not IP or TCP…): the same
    /// in every shard of one input.
    public var frameCounters: Counters { decodeCounters }

    /// What the flows this pipeline kept counted (sessions, reassembly, TLS, drops by reason).
    public var flowCounters: Counters { flows.context.counters }

    /// Frames processed so far (the number of the last one).
    public var frameNumber: UInt64 { flows.context.frameNumber }

    /// The observer, as given. Reading it is a dynamic cast; changing it (configuration reload)
    /// moves it out of the context and back so it stays uniquely referenced.
    public var observer: Observer {
        get { flows.context.observer as! Observer }
        _modify {
            var typed = flows.context.observer as! Observer
            flows.context.observer = DetachedObserver()
            defer { flows.context.observer = typed }
            yield &typed
        }
    }

    public var activeFlows: Int { flows.table.count }
    /// Flows whose handshake is being followed (holding a tracker).
    public var trackedFlows: Int { flows.table.trackedCount }
    /// Memory of the flow table itself (entries, index, tracker pool), not counting buffers.
    public var flowTableBytes: Int { flows.table.tableBytes }
    /// Fixed-size state per flow-table entry, per tracker, and per followed handshake (entry,
    /// tracker, links, free-list slots and index buckets at the index's lowest load), outside
    /// the buffers.
    public static var flowEntryBytes: Int { MemoryLayout<Flow>.stride }
    public static var trackerBytes: Int { FlowTable.trackerBytes }
    public static var fixedBytesPerFollowedHandshake: Int { FlowTable.fixedBytesPerFollowedHandshake }
    public var reassemblyBytes: Int { flows.context.budget.used }
    public var reassemblyPeakBytes: Int { flows.context.budget.peak }
    /// Frames kept for evidence (and left out, by reason), and the bytes they hold now.
    public var evidenceCounts: EvidenceCounts { flows.context.evidence.counts }
    public var evidenceBytes: Int { flows.context.evidence.budget.used }

    public mutating func process(frame: Span<UInt8>, originalLength: Int, linkType: LinkType, at time: Timestamp) {
        decodeCounters.add(.packets)
        decodeCounters.add(.bytes, UInt64(max(originalLength, frame.count)))
        if time > lastTime { lastTime = time }
        flows.context.frameNumber &+= 1
        guard flows.context.evidence.isEnabled else {
            decoder.decode(frame, linkType: linkType, at: time, counters: &decodeCounters, into: &flows)
            return
        }
        flows.context.evidence.beginFrame()
        decoder.decode(frame, linkType: linkType, at: time, counters: &decodeCounters, into: &flows)
        flows.table.keep(frame, originalLength: originalLength, linkType: linkType, at: time, context: &flows.context)
    }

    /// End of input: every flow still open is finished and its session reported.
    public mutating func finish() {
        flows.table.finishAll(at: lastTime, context: &flows.context)
    }
}

/// Hands decoded segments to the flow table.
struct FlowProcessor: SegmentSink {
    var table: FlowTable
    var context: SnifferContext
    let shard: FlowShard?

    mutating func tcpSegment(_ header: TCPSegmentHeader, payload: Span<UInt8>, at time: Timestamp) {
        guard let shard else {
            table.segment(header, payload: payload, at: time, context: &context)
            return
        }
        let (key, direction) = FlowKey.of(header)
        table.advance(to: time, context: &context)
        if shard.owns(key) {
            table.segment(header, key: key, direction: direction, payload: payload, at: time, context: &context)
        }
    }
}

/// Stands in for the observer while `Pipeline.observer` is being modified.
private struct DetachedObserver: TLSObserver {
    mutating func certificates(
        _ chain: borrowing CertificateChainView, known: [KnownCertificate], from sender: EndpointRole,
        session: borrowing TLSSession, at time: Timestamp
    ) -> (any SessionAnnotation)? { nil }
    mutating func sessionEnded(_ session: TLSSession) {}
}
