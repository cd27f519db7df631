/// Puts one direction of a TCP connection back in order, for as long as its handshake lasts.
///
/// In-order segments are not copied: `receive` says which part of the payload is new and the
/// caller hands that span straight on. Only segments that arrive ahead of a hole are copied and
/// held (bounded per flow and by the global memcap) until the hole fills or is declared a gap.
///
/// Overlap policy: bytes already delivered are never replaced — the first copy of a byte to be
/// delivered wins, and later copies are trimmed and counted (`overlap_bytes_trimmed`,
/// `segments_retransmitted`). Held segments are delivered in order of their first sequence
/// number, ties in order of arrival, each trimmed against what was delivered before it.
///
/// A hole becomes a *gap* (skipped, and reported so the TLS layer resynchronises) when the peer
/// has acknowledged bytes past it (the capture missed them; they will not be retransmitted),
/// when too much is held behind it, or when the flow ends.
struct StreamReassembler {
    private struct HeldSegment {
        var sequence: UInt32
        var bytes: [UInt8]
    }

    enum Disposition: Equatable {
        /// Deliver `payload[skip...]` now: it continues the stream.
        case inOrder(skip: Int)
        /// Held until the bytes before it arrive.
        case held
        /// Nothing new: every byte was delivered before.
        case duplicate
        /// Not kept, for the reason counted.
        case dropped(Counter)
    }

    enum Event {
        /// Bytes that continue the stream: `bytes[skip...]`.
        case data([UInt8], skip: Int)
        /// `missing` bytes that will never be seen; the stream continues after them.
        case gap(missing: Int)
    }

    private(set) var nextSequence: UInt32 = 0
    /// Whether `nextSequence` is known (from a SYN or the first data segment).
    private(set) var isSynchronized = false
    private(set) var sawSYN = false
    private(set) var deliveredBytes = 0
    private(set) var heldBytes = 0
    private var held: [HeldSegment] = []
    /// Highest acknowledgment the peer sent for this direction's bytes.
    private var acknowledgedByPeer: UInt32?
    /// A SYN fixes the initial sequence number. A second SYN with a different ISN before any
    /// data (e.g. two SYN-ACKs for one SYN) leaves it open which one the data will follow, so the
    /// first data segment decides, as for a connection picked up mid-stream.
    mutating func receiveSYN(sequence: UInt32, budget: inout MemoryBudget) {
        guard deliveredBytes == 0 else { return }
        if sawSYN {
            if isSynchronized && sequence &+ 1 != nextSequence {
                releaseAll(budget: &budget)
                isSynchronized = false
                acknowledgedByPeer = nil
            }
            return
        }
        nextSequence = sequence &+ 1
        isSynchronized = true
        sawSYN = true
    }

    /// The peer acknowledged this direction's bytes up to `acknowledgment`.
    mutating func peerAcknowledged(_ acknowledgment: UInt32) {
        guard isSynchronized else { return }
        let ahead = SequenceNumber.distance(from: nextSequence, to: acknowledgment)
        guard ahead > 0 else { return }
        if let known = acknowledgedByPeer, SequenceNumber.distance(from: known, to: acknowledgment) <= 0 { return }
        acknowledgedByPeer = acknowledgment
    }

    /// Decides what to do with a segment's payload. Held segments are copied here.
    /// `alsoHeld` is what the same direction's TLS parser holds: together they stay within
    /// `maxFlowBytes`.
    mutating func receive(
        sequence: UInt32, payload: Span<UInt8>, alsoHeld: Int, limits: ReassemblyLimits,
        budget: inout MemoryBudget, counters: inout Counters
    ) -> Disposition {
        guard !payload.isEmpty else { return .duplicate }
        if !isSynchronized {  // picked up mid-stream: this segment starts the stream
            nextSequence = sequence
            isSynchronized = true
        }
        let offset = SequenceNumber.distance(from: nextSequence, to: sequence)
        if offset <= 0 {
            let skip = -offset
            if skip >= payload.count {
                counters.add(.segmentsRetransmitted)
                return .duplicate
            }
            if skip > 0 { counters.add(.overlapBytesTrimmed, UInt64(skip)) }
            advance(by: payload.count - skip)
            return .inOrder(skip: skip)
        }
        guard offset <= limits.maxSequenceLookahead else { return .dropped(.dropSequenceOutOfWindow) }
        guard held.count < limits.maxPendingSegments else { return .dropped(.dropPendingSegmentLimit) }
        guard heldBytes + alsoHeld + payload.count <= limits.maxFlowBytes else { return .dropped(.dropFlowByteCap) }
        guard budget.reserve(payload.count) else { return .dropped(.dropReassemblyMemcap) }
        counters.add(.segmentsOutOfOrder)
        let segment = HeldSegment(sequence: sequence, bytes: Array(copying: payload))
        // Insert after every held segment that starts at or before it (stable for equal starts).
        var index = held.count
        while index > 0 && SequenceNumber.distance(from: held[index - 1].sequence, to: sequence) < 0 {
            index -= 1
        }
        held.insert(segment, at: index)
        heldBytes += payload.count
        return .held
    }

    /// The next held bytes that can be delivered, or a gap when the hole before them is known
    /// to be lost (or `flush` says nothing more will come). `nil` when waiting is still right.
    mutating func nextEvent(flush: Bool, limits: ReassemblyLimits, budget: inout MemoryBudget,
                            counters: inout Counters) -> Event? {
        while let first = held.first {
            let offset = SequenceNumber.distance(from: nextSequence, to: first.sequence)
            if offset <= 0 {
                held.removeFirst()
                heldBytes -= first.bytes.count
                budget.release(first.bytes.count)
                let skip = -offset
                if skip >= first.bytes.count {
                    counters.add(.segmentsRetransmitted)
                    continue
                }
                if skip > 0 { counters.add(.overlapBytesTrimmed, UInt64(skip)) }
                advance(by: first.bytes.count - skip)
                return .data(first.bytes, skip: skip)
            }
            if flush || holeIsLost(before: first.sequence) || isOverfull(limits) {
                counters.add(.reassemblyGaps)
                nextSequence = first.sequence
                return .gap(missing: offset)
            }
            return nil
        }
        return nil
    }

    /// Frees everything held (the flow is bypassed or ends).
    mutating func releaseAll(budget: inout MemoryBudget) {
        budget.release(heldBytes)
        held = []
        heldBytes = 0
    }

    private func holeIsLost(before sequence: UInt32) -> Bool {
        guard let acknowledged = acknowledgedByPeer else { return false }
        return SequenceNumber.distance(from: nextSequence, to: acknowledged) > 0
    }

    private func isOverfull(_ limits: ReassemblyLimits) -> Bool {
        held.count >= limits.maxPendingSegments || heldBytes * 2 >= limits.maxFlowBytes
    }

    private mutating func advance(by count: Int) {
        nextSequence &+= UInt32(truncatingIfNeeded: count)
        deliveredBytes += count
    }
}
