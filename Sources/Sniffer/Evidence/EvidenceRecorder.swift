/// One worker's keeping of frames for evidence (`EvidenceLimits`), part of the sniffer context.
///
/// A frame's bytes are only at hand in `Pipeline.process`, around the decoding, while the flow
/// it belongs to is only known deep inside it; so the flow table names the tracker the frame's
/// segment went to (`target`), and the frame is copied into that flow's packets once decoding
/// returns. A session that ends while a frame is decoded (the segment that completes the
/// handshake, or closes it) waits in `ended` until then, so its packets include that last frame;
/// sessions are still delivered in the order they ended.
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
    private(set) var ended: [(session: TLSSession, packets: CapturedPackets, own: Bool)] = []

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

    /// A flow starts being followed: its SYN frames still remembered come first in its packets.
    mutating func recallSYNs(of flowID: UInt64, into packets: inout CapturedPackets) {
        var recalled = syns
        syns = SYNFrames()
        recalled.recall(flowID) { frame, originalLength, linkType, time in
            keep(frame, originalLength: originalLength, linkType: linkType, at: time, in: &packets)
        }
        syns = recalled
    }

    /// A session ended during the frame: held until the frame is kept.
    mutating func hold(_ session: TLSSession, packets: CapturedPackets, tracker: Int32) {
        let own = tracker == target
        if own { target = -1 }
        ended.append((session, packets, own))
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

    /// The flow's frames leave the sniffer (handed to the observer, or dropped with the tracker).
    mutating func release(_ packets: CapturedPackets) {
        budget.release(packets.heldBytes)
    }

    /// Ends the frame: the sessions that ended during it, in order (the frame already kept in
    /// those it belongs to).
    mutating func endFrame(_ frame: Span<UInt8>, originalLength: Int, linkType: LinkType, at time: Timestamp)
        -> [(session: TLSSession, packets: CapturedPackets, own: Bool)] {
        inFrame = false
        target = -1
        guard !ended.isEmpty else { return [] }
        var delivered: [(session: TLSSession, packets: CapturedPackets, own: Bool)] = []
        swap(&delivered, &ended)
        for index in delivered.indices {
            if delivered[index].own {
                keep(frame, originalLength: originalLength, linkType: linkType, at: time, in: &delivered[index].packets)
            }
            release(delivered[index].packets)
        }
        return delivered
    }
}
