import Wire

/// The SYN and SYN-ACK frames of recent connections, for their evidence: a flow is followed
/// (and keeps frames) only from its first payload, yet without the SYNs a capture read again may
/// not know where each stream starts (a server segment out of order before the first). So SYN
/// frames wait here, in a ring of fixed size, until their flow's first payload copies them into
/// its packets.
///
/// Fixed memory, allocated as SYNs come: 4096 frames of at most 256 bytes (a SYN with every
/// option, inside a few tunnels) and a 8192-bucket index — at most about 1.5 MiB a worker. A SYN flood
/// only overwrites the ring: a flow whose SYNs are gone keeps its frames from the first payload
/// on. A lookup is one bucket and a walk back along the flow's own entries.
struct SYNFrames {
    static let capacity = 4096
    static let maxFrameBytes = 256
    private static let bucketBits = 13

    private struct Entry {
        var flowID: UInt64 = 0
        /// The flow's previous entry (its SYN, for a SYN-ACK), or -1.
        var previous: Int32 = -1
        var originalLength = 0
        var time = Timestamp.zero
        var linkType = LinkType.ethernet
        /// The frame (its buffer reused by the next frame of the slot).
        var bytes: [UInt8] = []
    }

    private var entries: [Entry] = []
    private var buckets: [Int32] = []
    private var next = 0

    private static func bucket(_ flowID: UInt64) -> Int {
        Int(truncatingIfNeeded: (flowID &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bucketBits))
    }

    mutating func remember(_ frame: Span<UInt8>, flowID: UInt64, originalLength: Int, linkType: LinkType,
                           at time: Timestamp) {
        guard frame.count <= Self.maxFrameBytes else { return }
        if entries.isEmpty {
            entries = Array(repeating: Entry(), count: Self.capacity)
            buckets = Array(repeating: -1, count: 1 << Self.bucketBits)
        }
        let slot = next
        next = (next + 1) % Self.capacity
        let bucket = Self.bucket(flowID)
        let earlier = buckets[bucket]
        let previous = earlier >= 0 && entries[Int(earlier)].flowID == flowID && Int(earlier) != slot ? earlier : -1
        entries[slot].flowID = flowID
        entries[slot].previous = previous
        entries[slot].originalLength = originalLength
        entries[slot].time = time
        entries[slot].linkType = linkType
        entries[slot].bytes.removeAll(keepingCapacity: true)
        entries[slot].bytes.append(contentsOf: frame)
        buckets[bucket] = Int32(slot)
    }

    /// Hands the flow's remembered frames, oldest first, to `body`, and forgets them.
    mutating func recall(_ flowID: UInt64, _ body: (Span<UInt8>, Int, LinkType, Timestamp) -> Void) {
        guard !entries.isEmpty else { return }
        // At most two entries a flow are linked (SYN, SYN-ACK); the bound guards a retransmitted storm.
        var found = InlineArray<8, Int32>(repeating: -1)
        var count = 0
        var slot = buckets[Self.bucket(flowID)]
        while slot >= 0, entries[Int(slot)].flowID == flowID, count < 8 {
            found[count] = slot
            count += 1
            slot = entries[Int(slot)].previous
        }
        for position in stride(from: count - 1, through: 0, by: -1) {
            let slot = Int(found[position])
            let entry = entries[slot]
            body(entry.bytes.span, entry.originalLength, entry.linkType, entry.time)
            entries[slot].flowID = 0
        }
    }
}
