/// One worker's keeping of frames for evidence (`EvidenceLimits`), part of the sniffer context.
///
/// A frame's bytes are only at hand in `Pipeline.process`, around the decoding, while the flow
/// it belongs to is only known deep inside it; so the flow table names the tracker the frame's
/// segment went to (`target`), and the frame is copied into that flow's packets once decoding
/// returns. A session that ends while a frame is decoded (the segment that completes the
/// handshake, or closes it) waits in `ended` until then, so its packets include that last frame;
/// sessions are still delivered in the order they ended.
///
/// Buffers go back to a small pool when a flow lets go of its frames (64 buffers of at most
/// 32 KiB capacity are kept), so following a handshake allocates nothing in steady state.
struct EvidenceRecorder {
    let limits: EvidenceLimits
    private(set) var budget: MemoryBudget
    private(set) var counts = EvidenceCounts()
    /// The tracker the segment of the frame being decoded went to, or -1.
    var target: Int32 = -1
    /// The flow (not followed yet) whose SYN the frame being decoded is, or 0.
    var synFlow: UInt64 = 0
    /// SYN frames waiting for their flow's first payload.
    private var syns = SYNFrames()
    private(set) var inFrame = false
    /// Sessions that ended while the frame was decoded, with their packets; `own` when the
    /// frame is the session's.
    private var ended: [(session: TLSSession, packets: CapturedPackets, own: Bool)] = []
    private var spares: [CapturedPackets] = []
    private static let maxSpares = 64
    private static let maxSpareCapacity = 32 << 10

    init(limits: EvidenceLimits) {
        self.limits = limits
        budget = MemoryBudget(limit: limits.isEnabled ? limits.memcap : 0)
    }

    var isEnabled: Bool { limits.isEnabled }

    mutating func beginFrame() {
        inFrame = true
        target = -1
        synFlow = 0
    }

    /// Keeps the frame being decoded as the SYN of `synFlow`.
    mutating func rememberSYN(_ frame: Span<UInt8>, originalLength: Int, linkType: LinkType, at time: Timestamp) {
        guard synFlow != 0 else { return }
        syns.remember(frame, flowID: synFlow, originalLength: originalLength, linkType: linkType, at: time)
        synFlow = 0
    }

    /// A flow starts being followed: a buffer for its frames, its SYN frames still remembered first.
    mutating func start(_ flowID: UInt64, into packets: inout CapturedPackets) {
        packets = spares.popLast() ?? CapturedPackets()
        var recalled = syns
        syns = SYNFrames()
        recalled.recall(flowID) { frame, originalLength, linkType, time in
            keep(frame, originalLength: originalLength, linkType: linkType, at: time, in: &packets)
        }
        syns = recalled
    }

    /// A session ended during the frame: its packets (taken from the tracker) wait for the frame.
    mutating func hold(_ session: TLSSession, packets: inout CapturedPackets, tracker: Int32) {
        let own = tracker == target
        if own { target = -1 }
        var taken = CapturedPackets()
        swap(&taken, &packets)
        ended.append((session, taken, own))
    }

    /// Copies the frame into `packets` when the flow's limits and the memcap allow it.
    mutating func keep(_ frame: Span<UInt8>, originalLength: Int, linkType: LinkType, at time: Timestamp,
                       in packets: inout CapturedPackets) {
        if !packets.isEmpty && linkType != packets.linkType {
            counts.framesOtherLinkType += 1
            packets.leaveOut()
            return
        }
        guard packets.packets.count < limits.maxPacketsPerFlow,
              packets.capturedBytes + frame.count <= limits.maxBytesPerFlow else {
            counts.framesOverFlowLimit += 1
            packets.leaveOut()
            return
        }
        guard budget.reserve(CapturedPackets.cost(ofFrame: frame.count)) else {
            counts.framesOverMemcap += 1
            packets.leaveOut()
            return
        }
        packets.append(frame, originalLength: originalLength, linkType: linkType, at: time)
        counts.framesKept += 1
    }

    /// The flow's frames leave the sniffer (handed over, or let go with the tracker): their bytes
    /// go back to the memcap, the buffer to the pool.
    mutating func recycle(_ packets: inout CapturedPackets) {
        budget.release(packets.heldBytes)
        var returned = CapturedPackets()
        swap(&returned, &packets)
        guard spares.count < Self.maxSpares, returned.capacity > 0, returned.capacity <= Self.maxSpareCapacity else { return }
        returned.removeAll()
        spares.append(returned)
    }

    /// Ends the frame: keeps it in the sessions it belongs to among those that ended during it.
    /// Then `endedCount`, `ended(_:)` and `recycleEnded()` hand them over in order.
    mutating func endFrame(_ frame: Span<UInt8>, originalLength: Int, linkType: LinkType, at time: Timestamp) {
        inFrame = false
        target = -1
        for index in ended.indices where ended[index].own {
            var packets = CapturedPackets()
            swap(&packets, &ended[index].packets)
            keep(frame, originalLength: originalLength, linkType: linkType, at: time, in: &packets)
            swap(&packets, &ended[index].packets)
        }
    }

    var endedCount: Int { ended.count }
    func ended(_ index: Int) -> (session: TLSSession, packets: CapturedPackets) { (ended[index].session, ended[index].packets) }

    mutating func recycleEnded() {
        guard !ended.isEmpty else { return }
        for index in ended.indices {
            var packets = CapturedPackets()
            swap(&packets, &ended[index].packets)
            recycle(&packets)
        }
        ended.removeAll(keepingCapacity: true)
    }
}
