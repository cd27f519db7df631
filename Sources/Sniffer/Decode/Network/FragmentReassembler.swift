import Wire

/// Identifies one fragmented IP datagram: IPv4 source, destination, identification and
/// protocol (RFC 791); IPv6 source, destination, identification and the next header after the
/// fragment header.
struct FragmentKey: Hashable {
    var source: IPAddress
    var destination: IPAddress
    var identification: UInt32
    var transport: UInt8
    var isIPv6: Bool
}

/// Reassembles fragmented IP datagrams (the payload after the IPv4 header / after the IPv6
/// fragment header), within fixed bounds:
///
/// * at most `maxFragmentTrains` unfinished datagrams and `fragmentMemcap` bytes held in all of
///   them; to make room the oldest unfinished datagram is dropped (`dropFragmentMemcap`);
/// * a datagram holds at most 65 535 payload bytes and at most ``maxRanges`` separate runs of
///   received bytes;
/// * an unfinished datagram is dropped `fragmentTimeoutSeconds` of capture time after its first
///   fragment (`dropFragmentTimeout`);
/// * where fragments overlap, the first copy of each byte wins; a later copy that differs is
///   counted (`dropFragmentOverlap`).
///
/// Each unfinished datagram owns one buffer as long as the furthest byte seen so far; "bytes
/// held" counts those buffers.
struct FragmentReassembler {
    static let maxDatagramPayload = 65535
    /// Separate runs of received bytes one datagram may have before it is given up.
    static let maxRanges = 64
    /// Largest train count honoured (keeps the bookkeeping arithmetic far from overflow).
    static let trainCeiling = 1 << 24

    enum Outcome {
        /// Held, waiting for more fragments.
        case pending
        /// The datagram is complete: its whole payload.
        case complete([UInt8])
        /// The fragment was not taken (counted).
        case dropped
    }

    private struct Train {
        var serial: UInt64
        /// Bytes `0..<buffer.count` of the datagram payload (only `received` ones are valid).
        var buffer: [UInt8] = []
        /// Sorted, disjoint, non-adjacent runs of received bytes.
        var received: [Range<Int>] = []
        /// Payload length, known once the last fragment arrived.
        var totalLength: Int?
    }

    private let timeoutNanoseconds: Int64
    private let memcap: Int
    private let maxTrains: Int

    private var trains: [FragmentKey: Train] = [:]
    /// Trains in creation order, as (key, serial, first fragment time); entries whose train is
    /// gone are stale and skipped.
    private var order: [(key: FragmentKey, serial: UInt64, firstSeen: Timestamp)] = []
    private var orderHead = 0
    private var nextSerial: UInt64 = 0

    private(set) var bytesHeld = 0

    init(limits: DecoderLimits) {
        let seconds = limits.fragmentTimeoutSeconds
        // Clamp before converting: a NaN, negative or enormous timeout must not trap.
        if seconds.isNaN || seconds <= 0 {
            timeoutNanoseconds = 0
        } else if seconds >= 9e9 {
            timeoutNanoseconds = Int64.max
        } else {
            timeoutNanoseconds = Int64(seconds * 1_000_000_000)
        }
        memcap = max(0, limits.fragmentMemcap)
        maxTrains = min(max(0, limits.maxFragmentTrains), Self.trainCeiling)
    }

    var trainCount: Int { trains.count }

    /// Takes one fragment: `payload` at byte `offset` of the datagram payload, `moreFragments`
    /// false for the last one.
    mutating func insert(
        _ key: FragmentKey, offset: Int, moreFragments: Bool, payload: Span<UInt8>,
        at time: Timestamp, counters: inout Counters
    ) -> Outcome {
        let length = payload.count
        let end = offset + length  // offset ≤ 65 528 and length ≤ a frame: cannot overflow
        guard offset >= 0, end <= Self.maxDatagramPayload,
              !moreFragments || (length > 0 && length % 8 == 0) else {
            counters.add(.dropFragmentMalformed)
            return .dropped
        }

        // Find or start the train, then make room for its buffer to reach `end`.
        let held: Int
        if let existing = trains[key] {
            held = existing.buffer.count
        } else {
            guard maxTrains > 0 else {
                counters.add(.dropFragmentMemcap)
                return .dropped
            }
            while trains.count >= maxTrains {
                guard evictOldest(counters: &counters) else { break }
            }
            nextSerial &+= 1
            trains[key] = Train(serial: nextSerial)
            order.append((key, nextSerial, time))
            compactOrderIfNeeded()
            held = 0
        }
        let growth = end - held
        if growth > 0 {
            while bytesHeld + growth > memcap {
                // Oldest first, which may be this very train: then the fragment goes with it.
                guard evictOldest(counters: &counters), trains[key] != nil else {
                    if let train = trains.removeValue(forKey: key) {
                        bytesHeld -= train.buffer.count
                        counters.add(.dropFragmentMemcap)
                    }
                    return .dropped
                }
            }
        }
        guard var train = trains.removeValue(forKey: key) else { return .dropped }  // evicted above

        // The last fragment fixes the length; nothing may lie past it.
        if !moreFragments {
            if let total = train.totalLength, total != end {
                return discard(train, counters: &counters)
            }
            if let last = train.received.last, last.upperBound > end {
                return discard(train, counters: &counters)
            }
            train.totalLength = end
        } else if let total = train.totalLength, end > total {
            return discard(train, counters: &counters)
        }

        if growth > 0 {
            train.buffer.append(contentsOf: repeatElement(0, count: growth))
            bytesHeld += growth
        }
        if length > 0 {
            if Self.store(payload, at: offset, into: &train) {
                counters.add(.dropFragmentOverlap)
            }
            guard Self.markReceived(offset..<end, in: &train.received) else {
                bytesHeld -= train.buffer.count
                counters.add(.dropFragmentMemcap)
                return .dropped
            }
        }

        if let total = train.totalLength, train.received.count == 1, train.received.first == 0..<total {
            bytesHeld -= train.buffer.count
            return .complete(train.buffer)
        }
        trains[key] = train
        return .pending
    }

    /// Drops trains whose first fragment is older than the timeout (oldest first).
    mutating func expire(now: Timestamp, counters: inout Counters) {
        while orderHead < order.count {
            let entry = order[orderHead]
            // Checked before the lookup, so the common case (nothing due) costs no hashing.
            let (deadline, overflow) = entry.firstSeen.nanoseconds.addingReportingOverflow(timeoutNanoseconds)
            guard !overflow, now.nanoseconds >= deadline else { break }
            orderHead += 1
            guard let train = trains[entry.key], train.serial == entry.serial else { continue }  // stale
            trains.removeValue(forKey: entry.key)
            bytesHeld -= train.buffer.count
            counters.add(.dropFragmentTimeout)
        }
        compactOrderIfNeeded()
    }

    // MARK: Helpers

    /// Drops the oldest train (counted as memcap). False if there is none.
    private mutating func evictOldest(counters: inout Counters) -> Bool {
        while orderHead < order.count {
            let entry = order[orderHead]
            orderHead += 1
            guard let train = trains[entry.key], train.serial == entry.serial else { continue }
            trains.removeValue(forKey: entry.key)
            bytesHeld -= train.buffer.count
            counters.add(.dropFragmentMemcap)
            return true
        }
        return false
    }

    /// A train given up because its fragments contradict each other.
    private mutating func discard(_ train: Train, counters: inout Counters) -> Outcome {
        bytesHeld -= train.buffer.count
        counters.add(.dropFragmentMalformed)
        return .dropped
    }

    /// Keeps the creation-order queue proportional to the live trains.
    private mutating func compactOrderIfNeeded() {
        if orderHead > 0 && orderHead >= order.count {
            order.removeAll(keepingCapacity: true)
            orderHead = 0
        } else if orderHead >= 1024 && orderHead * 2 >= order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        } else if order.count - orderHead > 2 * maxTrains + 1024 {
            // Many finished trains behind a long-lived one: keep only the live entries.
            let live = order[orderHead...].filter { trains[$0.key]?.serial == $0.serial }
            order = Array(live)
            orderHead = 0
        }
    }

    /// Copies the bytes of `payload` not yet received into the buffer; returns whether an
    /// already received byte differed (first copy wins).
    private static func store(_ payload: Span<UInt8>, at offset: Int, into train: inout Train) -> Bool {
        let end = offset + payload.count
        var conflict = false
        var position = offset
        for run in train.received where run.upperBound > offset && run.lowerBound < end {
            // Gap before this run: new bytes.
            while position < run.lowerBound {
                train.buffer[position] = payload[position - offset]
                position += 1
            }
            // Overlap with this run: compare.
            let overlapEnd = min(end, run.upperBound)
            while position < overlapEnd {
                if train.buffer[position] != payload[position - offset] { conflict = true }
                position += 1
            }
        }
        while position < end {
            train.buffer[position] = payload[position - offset]
            position += 1
        }
        return conflict
    }

    /// Adds `range` to the sorted runs, merging overlapping and adjacent ones. False when the
    /// datagram has too many separate runs.
    private static func markReceived(_ range: Range<Int>, in runs: inout [Range<Int>]) -> Bool {
        var lower = range.lowerBound
        var upper = range.upperBound
        // First run that touches or follows the new range.
        var first = 0
        while first < runs.count && runs[first].upperBound < lower { first += 1 }
        var last = first
        while last < runs.count && runs[last].lowerBound <= upper {
            lower = min(lower, runs[last].lowerBound)
            upper = max(upper, runs[last].upperBound)
            last += 1
        }
        runs.replaceSubrange(first..<last, with: CollectionOfOne(lower..<upper))
        return runs.count <= maxRanges
    }
}
