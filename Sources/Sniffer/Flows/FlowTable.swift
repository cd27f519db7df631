/// Bounds on the flow table.
public struct FlowLimits: Sendable, Equatable {
    /// Connections tracked at once; the least recently active one is evicted beyond this.
    public var maxFlows: Int = 262_144
    /// Seconds of capture time without a packet after which a flow is expired.
    public var idleTimeoutSeconds: Double = 120

    public init() {}
}

/// Every tracked connection, bounded in number. Flows are fixed-size entries in one array,
/// found through an open-addressing index with a keyed hash; least-recently-used order is an
/// intrusive list over slot indices; handshake state comes from a pool of trackers. Nothing is
/// allocated per packet once the arrays have grown to the working set.
struct FlowTable {
    private var index = FlowIndex()
    private var flows: [Flow] = []
    private var freeFlows: [Int32] = []
    private var trackers: [FlowTracker] = []
    private var freeTrackers: [Int32] = []
    /// Neighbours in recency order: `newer[i]` is more recent than `i`.
    private var newer: [Int32] = []
    private var older: [Int32] = []
    private var newest: Int32 = -1
    private var oldest: Int32 = -1
    private var nextSessionID: UInt64 = 1
    private var nextSweep = Timestamp.zero
    private let hashKey: (UInt64, UInt64)
    let limits: FlowLimits

    init(limits: FlowLimits) {
        self.limits = limits
        var random = SystemRandomNumberGenerator()
        hashKey = (random.next(), random.next())
    }

    var count: Int { index.count }
    var trackedCount: Int { trackers.count - freeTrackers.count }

    /// Bytes of flow-table memory (entries, recency links, index, tracker pool). Trackers in use
    /// and the buffers they hold also count against the memcap; the pool never holds more
    /// trackers than the memcap has room for.
    var tableBytes: Int {
        flows.capacity * MemoryLayout<Flow>.stride + (newer.capacity + older.capacity + freeFlows.capacity
            + freeTrackers.capacity) * MemoryLayout<Int32>.stride
            + index.bytes + trackers.capacity * MemoryLayout<FlowTracker>.stride
    }

    mutating func segment(
        _ header: TCPSegmentHeader, payload: Span<UInt8>, at time: Timestamp, context: inout SnifferContext
    ) {
        context.now = time
        if time >= nextSweep { expireIdle(now: time, context: &context) }
        let (key, direction) = FlowKey.of(header)
        let hash = key.hash(key: hashKey)
        var found = index.find(hash) { flows[Int($0)].key == key }
        if let existing = found, flows[Int(existing)].isNewConnection(header) {
            remove(existing, end: .connectionClosed, at: time, context: &context)
            found = nil
        }
        let slot = found ?? insert(key, hash: hash, at: time, context: &context)
        touch(slot)
        guard flows[Int(slot)].note(header, direction: direction, at: time) else {
            context.counters.add(.segmentsInBypassedFlows)
            return
        }
        var tracker = flows[Int(slot)].tracker
        if tracker < 0 {
            guard !payload.isEmpty else { return }
            guard let started = startTracking(slot, at: time, context: &context) else {
                context.counters.add(.dropFlowStateMemcap)
                return
            }
            tracker = started
        }
        trackers[Int(tracker)].receive(header, payload: payload, direction: direction, context: &context)
        if trackers[Int(tracker)].isNotTLS {
            stopTracking(slot, context: &context)
        } else if trackers[Int(tracker)].isComplete {
            report(slot, .handshakeComplete, at: flows[Int(slot)].lastSeen, context: &context)
            stopTracking(slot, context: &context)
        }
    }

    /// Ends every flow (end of input), reporting their sessions.
    mutating func finishAll(at time: Timestamp, context: inout SnifferContext) {
        while oldest >= 0 { remove(oldest, end: .endOfCapture, at: time, context: &context) }
    }

    // MARK: Flows

    private mutating func insert(_ key: FlowKey, hash: UInt64, at time: Timestamp,
                                 context: inout SnifferContext) -> Int32 {
        if index.count >= limits.maxFlows && oldest >= 0 {
            context.counters.add(.dropFlowTableFull)
            remove(oldest, end: .evicted, at: time, context: &context)
        }
        let flow = Flow(key: key, hash: hash, id: nextSessionID, time: time)
        nextSessionID &+= 1
        context.counters.add(.flowsCreated)
        let slot: Int32
        if let free = freeFlows.popLast() {
            slot = free
            flows[Int(free)] = flow
        } else {
            slot = Int32(flows.count)
            flows.append(flow)
            newer.append(-1)
            older.append(-1)
        }
        index.insert(hash, slot: slot)
        return slot
    }

    /// Finishes the flow in `slot`: delivers what is held, reports its session, frees it.
    private mutating func remove(_ slot: Int32, end: SessionEnd, at time: Timestamp, context: inout SnifferContext) {
        let flow = flows[Int(slot)]
        let tracker = flow.tracker
        if tracker >= 0 {
            if flow.phase == .tracking { trackers[Int(tracker)].flush(context: &context) }
            report(slot, flows[Int(slot)].isClosed ? .connectionClosed : end, at: time, context: &context)
            releaseTracker(slot, context: &context)
        }
        index.remove(flow.hash, slot: slot)
        unlink(slot)
        freeFlows.append(slot)
    }

    private mutating func expireIdle(now: Timestamp, context: inout SnifferContext) {
        nextSweep = now.adding(seconds: 1)
        let cutoff = now.adding(seconds: -limits.idleTimeoutSeconds)
        while oldest >= 0, flows[Int(oldest)].lastSeen < cutoff {
            context.counters.add(.flowsEvictedIdle)
            remove(oldest, end: .idleTimeout, at: flows[Int(oldest)].lastSeen, context: &context)
        }
    }

    // MARK: Trackers

    /// What one tracker costs, reserved from the memcap while it is in use: the memcap bounds
    /// handshake state as well as buffered bytes, so a flood of flows that each send a byte
    /// cannot grow memory past it.
    static let trackerBytes = MemoryLayout<FlowTracker>.stride

    /// Takes a tracker for the flow, or nil when the memcap has no room for one.
    private mutating func startTracking(_ slot: Int32, at time: Timestamp, context: inout SnifferContext) -> Int32? {
        guard context.budget.reserve(Self.trackerBytes) else { return nil }
        var fresh = FlowTracker(flow: flows[Int(slot)], time: time)
        fresh.adoptSYNs(of: flows[Int(slot)], budget: &context.budget)
        let tracker: Int32
        if let free = freeTrackers.popLast() {
            tracker = free
            trackers[Int(free)] = fresh
        } else {
            tracker = Int32(trackers.count)
            trackers.append(fresh)
        }
        flows[Int(slot)].tracker = tracker
        return tracker
    }

    /// The handshake is over (or this is not TLS): only counting from here on.
    private mutating func stopTracking(_ slot: Int32, context: inout SnifferContext) {
        releaseTracker(slot, context: &context)
        flows[Int(slot)].markBypassed()
        context.counters.add(.flowsBypassed)
    }

    private mutating func releaseTracker(_ slot: Int32, context: inout SnifferContext) {
        let tracker = flows[Int(slot)].tracker
        guard tracker >= 0 else { return }
        trackers[Int(tracker)].release(budget: &context.budget)
        trackers[Int(tracker)] = FlowTracker()
        context.budget.release(Self.trackerBytes)
        freeTrackers.append(tracker)
        flows[Int(slot)].tracker = -1
    }

    /// The session record, if this flow carried TLS and it was not reported yet.
    private mutating func report(_ slot: Int32, _ end: SessionEnd, at time: Timestamp, context: inout SnifferContext) {
        let tracker = flows[Int(slot)].tracker
        guard tracker >= 0, !flows[Int(slot)].sessionReported, trackers[Int(tracker)].sawTLS else { return }
        flows[Int(slot)].markReported()
        context.counters.add(.tlsSessions)
        context.observer.sessionEnded(trackers[Int(tracker)].finalSession(endedBy: end, at: time))
    }

    // MARK: Recency list

    private mutating func touch(_ slot: Int32) {
        guard newest != slot else { return }
        unlink(slot)
        older[Int(slot)] = newest
        newer[Int(slot)] = -1
        if newest >= 0 { newer[Int(newest)] = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    private mutating func unlink(_ slot: Int32) {
        let before = older[Int(slot)], after = newer[Int(slot)]
        if before >= 0 { newer[Int(before)] = after } else if oldest == slot { oldest = after }
        if after >= 0 { older[Int(after)] = before } else if newest == slot { newest = before }
        older[Int(slot)] = -1
        newer[Int(slot)] = -1
    }
}
