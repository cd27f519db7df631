/// Flow key → slot, as an open-addressing hash table: linear probing over a power-of-two array
/// of (hash, slot) pairs, deletion by backward shift (no tombstones, so probe runs never rot),
/// doubling while at most half full. Keys are not stored here: a hit is confirmed against the
/// slot's flow by the caller's `matches`.
struct FlowIndex {
    private struct Bucket {
        /// Slot + 1; 0 marks an empty bucket.
        var slotPlusOne: Int32 = 0
        /// The low 32 bits of the key's hash: the home position, and a filter before `matches`.
        var hash: UInt32 = 0
    }

    private var buckets: [Bucket]
    private var mask: Int
    private(set) var count = 0

    init(initialCapacity: Int = 1024) {
        var capacity = 16
        while capacity < initialCapacity { capacity <<= 1 }
        buckets = Array(repeating: Bucket(), count: capacity)
        mask = capacity - 1
    }

    var bytes: Int { buckets.count * MemoryLayout<Bucket>.stride }

    func find(_ hash: UInt64, matches: (Int32) -> Bool) -> Int32? {
        let hash = UInt32(truncatingIfNeeded: hash)
        var index = Int(hash) & mask
        while true {
            let bucket = buckets[index]
            if bucket.slotPlusOne == 0 { return nil }
            if bucket.hash == hash && matches(bucket.slotPlusOne - 1) { return bucket.slotPlusOne - 1 }
            index = (index + 1) & mask
        }
    }

    /// Adds `slot` under `hash` (the caller knows its key is not present).
    mutating func insert(_ hash: UInt64, slot: Int32) {
        if (count + 1) * 2 > buckets.count { grow() }
        place(Bucket(slotPlusOne: slot + 1, hash: UInt32(truncatingIfNeeded: hash)))
        count += 1
    }

    /// Removes `slot`, stored under `hash`.
    mutating func remove(_ hash: UInt64, slot: Int32) {
        var index = Int(UInt32(truncatingIfNeeded: hash)) & mask
        while buckets[index].slotPlusOne != slot + 1 {
            guard buckets[index].slotPlusOne != 0 else { return }
            index = (index + 1) & mask
        }
        // Backward shift: each later member of the probe run moves into the hole unless its
        // home lies cyclically after the hole (moving it would put it before its home).
        var hole = index
        var next = (hole + 1) & mask
        while buckets[next].slotPlusOne != 0 {
            let home = Int(buckets[next].hash) & mask
            if (hole - home) & mask < (next - home) & mask {
                buckets[hole] = buckets[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        buckets[hole] = Bucket()
        count -= 1
    }

    private mutating func place(_ bucket: Bucket) {
        var index = Int(bucket.hash) & mask
        while buckets[index].slotPlusOne != 0 { index = (index + 1) & mask }
        buckets[index] = bucket
    }

    private mutating func grow() {
        let old = buckets
        buckets = Array(repeating: Bucket(), count: old.count * 2)
        mask = buckets.count - 1
        for bucket in old where bucket.slotPlusOne != 0 { place(bucket) }
    }
}
