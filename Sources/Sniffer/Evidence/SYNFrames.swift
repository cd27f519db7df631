/// The SYN and SYN-ACK frames of recent connections, for their evidence: a flow is followed
/// (and keeps frames) only from its first payload, yet without the SYNs a capture read again may
/// not know where each stream starts (a server segment out of order before the first). So SYN
/// frames wait here, in a ring of fixed size, until their flow's first payload copies them into
/// its packets.
///
/// Fixed memory, allocated on the first SYN: 4096 frames of at most 256 bytes (a SYN with every
/// option, inside a few tunnels) and a 8192-bucket index — about 1.2 MiB a worker. A SYN flood
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
        var count: Int32 = 0
        var originalLength = 0
        var time = Timestamp.zero
        var linkType = LinkType.ethernet
    }

    private var entries: [Entry] = []
    private var bytes: [UInt8] = []
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
            bytes = Array(repeating: 0, count: Self.capacity * Self.maxFrameBytes)
            buckets = Array(repeating: -1, count: 1 << Self.bucketBits)
        }
        let slot = next
        next = (next + 1) % Self.capacity
        let bucket = Self.bucket(flowID)
        let earlier = buckets[bucket]
        let previous = earlier >= 0 && entries[Int(earlier)].flowID == flowID && Int(earlier) != slot ? earlier : -1
        entries[slot] = Entry(flowID: flowID, previous: previous, count: Int32(frame.count),
                              originalLength: originalLength, time: time, linkType: linkType)
        let start = slot * Self.maxFrameBytes
        for index in 0 ..< frame.count { bytes[start + index] = frame[index] }
        buckets[bucket] = Int32(slot)
    }

    /// Hands the flow's remembered frames, oldest first, to `body`, and forgets them.
    mutating func recall(_ flowID: UInt64, _ body: (Span<UInt8>, Int, LinkType, Timestamp) -> Void) {
        guard !entries.isEmpty else { return }
        var found: [Int] = []
        var slot = buckets[Self.bucket(flowID)]
        // At most two entries a flow are linked (SYN, SYN-ACK); the bound guards a retransmitted storm.
        while slot >= 0, entries[Int(slot)].flowID == flowID, found.count < 8 {
            found.append(Int(slot))
            slot = entries[Int(slot)].previous
        }
        for slot in found.reversed() {
            let entry = entries[slot]
            let start = slot * Self.maxFrameBytes
            body(bytes.span.extracting(start ..< start + Int(entry.count)), entry.originalLength, entry.linkType, entry.time)
            entries[slot].flowID = 0
        }
    }
}
