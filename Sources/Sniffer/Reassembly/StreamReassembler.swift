import Wire

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
/// Copies that disagree are counted (`overlap_inconsistent_bytes`,
/// `segments_overlap_inconsistent`, and per connection) wherever both copies are in memory:
/// - an arriving segment against the held segments it overlaps, byte by byte (each byte against
///   the held copy that would be delivered for it);
/// - an arriving segment against the last four delivered segments, of which only (sequence,
///   length, 32 bits of a seeded hash) is kept: a later copy that covers a whole recorded
///   segment and hashes differently counts that segment's length. Partial overlaps of delivered
///   bytes, and copies of segments delivered longer ago, cannot be checked.
///
/// A hole becomes a *gap* (skipped, and reported so the TLS layer resynchronises) when the peer
/// has acknowledged bytes past it (the capture missed them; they will not be retransmitted),
/// when too much is held behind it, or when the flow ends.
struct StreamReassembler {
    private struct HeldSegment {
        var sequence: UInt32
        var bytes: [UInt8]
    }

    /// What is kept of a delivered segment: enough to tell whether a later copy of exactly its
    /// range carries other bytes (12 bytes, four per direction). The hash is 32 bits of a seeded
    /// 64-bit hash: a chance collision misses one in four billion differing copies.
    private struct DeliveredRecord {
        var sequence: UInt32 = 0
        var length: UInt32 = 0
        var hash: UInt32 = 0
    }

    /// Seeds the delivered-segment hash, per process, so a sender cannot aim for a collision.
    private static let hashSeed = UInt64.random(in: .min ... .max)

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

    // Stored fields are ordered by size and narrowed (80 bytes a direction; two per followed
    // handshake): byte counts are within the per-flow cap, which `SnifferContext` keeps below 2^31.
    private var held: [HeldSegment] = []
    /// The last four delivered segments, for the inconsistency check (a ring).
    private var delivered = InlineArray<4, DeliveredRecord>(repeating: DeliveredRecord())
    private(set) var nextSequence: UInt32 = 0
    /// Highest acknowledgment the peer sent for this direction's bytes (when `hasAcknowledgment`).
    private var acknowledgment: UInt32 = 0
    private var held32: UInt32 = 0
    /// Bytes of later copies found to differ from another copy of the same range, and the
    /// segments that brought them (this direction's share of the session record's count).
    private var inconsistent: (bytes: UInt32, segments: UInt32) = (0, 0)
    private var deliveredNext: UInt8 = 0
    private var flags: UInt8 = 0

    private static let synchronizedFlag: UInt8 = 1, sawSYNFlag: UInt8 = 2, acknowledgedFlag: UInt8 = 4
    private static let deliveredFlag: UInt8 = 8

    /// Whether `nextSequence` is known (from a SYN or the first data segment).
    private(set) var isSynchronized: Bool {
        get { flags & Self.synchronizedFlag != 0 }
        set { flags = newValue ? flags | Self.synchronizedFlag : flags & ~Self.synchronizedFlag }
    }
    private(set) var sawSYN: Bool {
        get { flags & Self.sawSYNFlag != 0 }
        set { flags = newValue ? flags | Self.sawSYNFlag : flags & ~Self.sawSYNFlag }
    }
    /// Whether any byte was delivered.
    private var deliveredAny: Bool {
        get { flags & Self.deliveredFlag != 0 }
        set { flags = newValue ? flags | Self.deliveredFlag : flags & ~Self.deliveredFlag }
    }
    private(set) var heldBytes: Int {
        get { Int(held32) }
        set { held32 = UInt32(newValue) }
    }
    var inconsistentBytes: Int { Int(inconsistent.bytes) }
    var inconsistentSegments: Int { Int(inconsistent.segments) }
    /// Highest acknowledgment the peer sent for this direction's bytes.
    private var acknowledgedByPeer: UInt32? {
        get { flags & Self.acknowledgedFlag != 0 ? acknowledgment : nil }
        set {
            acknowledgment = newValue ?? 0
            flags = newValue != nil ? flags | Self.acknowledgedFlag : flags & ~Self.acknowledgedFlag
        }
    }
    /// A SYN fixes the initial sequence number. A second SYN with a different ISN before any
    /// data (e.g. two SYN-ACKs for one SYN) leaves it open which one the data will follow, so the
    /// first data segment decides, as for a connection picked up mid-stream.
    mutating func receiveSYN(sequence: UInt32, budget: inout MemoryBudget) {
        guard !deliveredAny else { return }
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
            var differing = skip > 0 ? compareWithDelivered(sequence: sequence, payload) : 0
            if skip >= payload.count {
                noteInconsistent(differing, counters: &counters)
                counters.add(.segmentsRetransmitted)
                return .duplicate
            }
            if skip > 0 { counters.add(.overlapBytesTrimmed, UInt64(skip)) }
            let fresh = payload.extracting(droppingFirst: skip)
            // Delivered now, so this copy wins over any held copy of the same bytes.
            if !held.isEmpty { differing += compareWithHeld(sequence: nextSequence, fresh) }
            noteInconsistent(differing, counters: &counters)
            recordDelivery(sequence: nextSequence, fresh)
            advance(by: fresh.count)
            return .inOrder(skip: skip)
        }
        guard offset <= limits.maxSequenceLookahead else { return .dropped(.dropSequenceOutOfWindow) }
        if !held.isEmpty {
            noteInconsistent(compareWithHeld(sequence: sequence, payload), counters: &counters)
        }
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
                recordDelivery(sequence: nextSequence, first.bytes.span.extracting(droppingFirst: skip))
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

    // MARK: Inconsistent copies

    /// Bytes of `bytes` (starting at `sequence`) that differ from the held copy that would be
    /// delivered for them. Held segments are in delivery order, so the first one covering a
    /// byte is its copy: everything below `compared` was checked against an earlier segment.
    private func compareWithHeld(sequence: UInt32, _ bytes: Span<UInt8>) -> Int {
        var differing = 0
        var compared = 0
        for segment in held {
            let start = SequenceNumber.distance(from: sequence, to: segment.sequence)
            guard start < bytes.count else { break }
            let low = max(compared, start), high = min(bytes.count, start + segment.bytes.count)
            guard low < high else { continue }
            for index in low..<high where bytes[index] != segment.bytes[index - start] { differing += 1 }
            compared = high
        }
        return differing
    }

    /// Bytes of the recorded delivered segments that `payload` (starting at `sequence`) covers
    /// wholly and carries differently.
    private func compareWithDelivered(sequence: UInt32, _ payload: Span<UInt8>) -> Int {
        var differing = 0
        for slot in delivered.indices {
            let record = delivered[slot]
            guard record.length > 0 else { continue }
            let start = SequenceNumber.distance(from: sequence, to: record.sequence)
            let length = Int(record.length)
            guard start >= 0, start + length <= payload.count else { continue }
            let copy = payload.extracting(start..<start + length)
            if Self.hash(copy) != record.hash { differing += length }
        }
        return differing
    }

    private mutating func recordDelivery(sequence: UInt32, _ bytes: Span<UInt8>) {
        guard !bytes.isEmpty else { return }
        delivered[Int(deliveredNext)] = DeliveredRecord(sequence: sequence, length: UInt32(truncatingIfNeeded: bytes.count),
                                                        hash: Self.hash(bytes))
        deliveredNext = UInt8((Int(deliveredNext) + 1) % delivered.count)
    }

    private static func hash(_ bytes: Span<UInt8>) -> UInt32 {
        UInt32(truncatingIfNeeded: FastHash.hash(bytes, seed: hashSeed))
    }

    private mutating func noteInconsistent(_ differing: Int, counters: inout Counters) {
        guard differing > 0 else { return }
        inconsistent.bytes = UInt32(clamping: Int(inconsistent.bytes) + differing)
        inconsistent.segments = UInt32(clamping: Int(inconsistent.segments) + 1)
        counters.add(.segmentsOverlapInconsistent)
        counters.add(.overlapInconsistentBytes, UInt64(differing))
    }

    private mutating func advance(by count: Int) {
        nextSequence &+= UInt32(truncatingIfNeeded: count)
        if count > 0 { deliveredAny = true }
    }
}
