/// Bounds on the flow table.
public struct FlowLimits: Sendable, Equatable {
    /// Connections tracked at once; the least recently active one is evicted beyond this.
    public var maxFlows: Int = 262_144
    /// Seconds of capture time without a packet after which a flow is expired.
    public var idleTimeoutSeconds: Double = 120

    public init() {}
}

/// Every tracked connection, bounded in number, with least-recently-used order kept in an
/// intrusive list over slot indices (no allocation per packet; eviction and expiry are O(1)
/// per flow removed).
struct FlowTable {
    private var index: [FlowKey: Int32] = [:]
    private var slots: [Flow?] = []
    private var freeSlots: [Int32] = []
    /// Neighbours in recency order: `newer[i]` is more recent than `i`.
    private var newer: [Int32] = []
    private var older: [Int32] = []
    private var newest: Int32 = -1
    private var oldest: Int32 = -1
    private var nextSessionID: UInt64 = 1
    private var nextSweep = Timestamp.zero
    let limits: FlowLimits

    init(limits: FlowLimits) { self.limits = limits }

    var count: Int { index.count }

    mutating func segment<Observer>(
        _ header: TCPSegmentHeader, payload: Span<UInt8>, at time: Timestamp, context: inout SnifferContext<Observer>
    ) {
        context.now = time
        expireIdle(now: time, context: &context)
        let (key, direction) = FlowKey.of(header)
        var slot = index[key]
        if let existing = slot, slots[Int(existing)]?.isNewConnection(header) == true {
            remove(existing, end: .connectionClosed, at: time, context: &context)
            slot = nil
        }
        let position = slot ?? insert(key, at: time, context: &context)
        touch(position)
        slots[Int(position)]?.receive(header, payload: payload, direction: direction, at: time, context: &context)
    }

    /// Ends every flow (end of input), reporting their sessions.
    mutating func finishAll<Observer>(at time: Timestamp, context: inout SnifferContext<Observer>) {
        while oldest >= 0 { remove(oldest, end: .endOfCapture, at: time, context: &context) }
    }

    private mutating func insert<Observer>(_ key: FlowKey, at time: Timestamp,
                                           context: inout SnifferContext<Observer>) -> Int32 {
        if index.count >= limits.maxFlows && oldest >= 0 {
            context.counters.add(.dropFlowTableFull)
            remove(oldest, end: .evicted, at: time, context: &context)
        }
        let flow = Flow(key: key, id: nextSessionID, time: time)
        nextSessionID &+= 1
        context.counters.add(.flowsCreated)
        let position: Int32
        if let free = freeSlots.popLast() {
            position = free
            slots[Int(free)] = flow
        } else {
            position = Int32(slots.count)
            slots.append(flow)
            newer.append(-1)
            older.append(-1)
        }
        index[key] = position
        return position
    }

    private mutating func remove<Observer>(_ position: Int32, end: SessionEnd, at time: Timestamp,
                                           context: inout SnifferContext<Observer>) {
        guard var flow = slots[Int(position)] else { return }
        slots[Int(position)] = nil
        flow.finish(flow.isClosed ? .connectionClosed : end, at: time, context: &context)
        index[flow.key] = nil
        unlink(position)
        freeSlots.append(position)
    }

    private mutating func expireIdle<Observer>(now: Timestamp, context: inout SnifferContext<Observer>) {
        guard now >= nextSweep else { return }
        nextSweep = now.adding(seconds: 1)
        let cutoff = now.adding(seconds: -limits.idleTimeoutSeconds)
        while oldest >= 0, let flow = slots[Int(oldest)], flow.lastSeen < cutoff {
            context.counters.add(.flowsEvictedIdle)
            remove(oldest, end: .idleTimeout, at: flow.lastSeen, context: &context)
        }
    }

    // MARK: Recency list

    private mutating func touch(_ position: Int32) {
        guard newest != position else { return }
        unlink(position)
        older[Int(position)] = newest
        newer[Int(position)] = -1
        if newest >= 0 { newer[Int(newest)] = position }
        newest = position
        if oldest < 0 { oldest = position }
    }

    private mutating func unlink(_ position: Int32) {
        let before = older[Int(position)], after = newer[Int(position)]
        if before >= 0 { newer[Int(before)] = after } else if oldest == position { oldest = after }
        if after >= 0 { older[Int(after)] = before } else if newest == position { newest = before }
        older[Int(position)] = -1
        newer[Int(position)] = -1
    }
}
