import Certificates
/// Bounds on the flow table.
public struct FlowLimits: Sendable, Equatable {
    /// Connections tracked at once; the least recently active one is evicted beyond this.
    public var maxFlows: Int = 262_144
    /// Seconds of capture time without a packet after which a flow is expired.
    public var idleTimeoutSeconds: Double = 120
    /// How sessions are numbered (see ``SessionNumbering``).
    public var sessionNumbering = SessionNumbering.sequential

    public init() {}
}

/// Every tracked connection, bounded in number. Flows are fixed-size entries in one array,
/// found through an open-addressing index with a keyed hash; least-recently-used order is kept
/// in two intrusive lists over slot indices, one for flows without handshake state (SYN only,
/// bypassed) and one for flows whose handshake is being followed; handshake state comes from a
/// pool of trackers. Nothing is allocated per packet once the arrays have grown to the working
/// set.
///
/// Under pressure the table lets go of what costs the least to lose:
/// - when it is full (`maxFlows`), the least recently active flow *without* handshake state is
///   evicted, and only when there is none a flow being followed: a flood of SYNs or of packets
///   on finished connections cannot push a handshake in progress out (`flow_table_full`);
/// - when the memcap has no room for a segment's bytes or a new tracker, the least recently
///   active flows being followed are evicted (their sessions reported as `evicted`) until it
///   has, rather than refusing the newest connection: half-open connections holding partial
///   records cannot keep every later connection from being followed (`memcap_eviction`).
struct FlowTable {
    private var index = FlowIndex()
    private var flows: [Flow] = []
    private var freeFlows: [Int32] = []
    private var trackers: [FlowTracker] = []
    /// Each tracker's kept frames (`EvidenceLimits`), beside the pool; empty while evidence is off.
    private var packets: [CapturedPackets] = []
    private var freeTrackers: [Int32] = []
    /// Neighbours in recency order within the flow's list: `newer[i]` is more recent than `i`.
    private var newer: [Int32] = []
    private var older: [Int32] = []
    /// Ends of the two recency lists: `Self.untracked` (no tracker) and `Self.tracked`.
    private var newest = InlineArray<2, Int32>(repeating: -1)
    private var oldest = InlineArray<2, Int32>(repeating: -1)
    private static let untracked = 0, tracked = 1
    private var nextSessionID: UInt64 = 1
    /// Flows ending together (idle, end of input), reused between sweeps.
    private var ending: [Int32] = []
    private var nextSweep = Timestamp.zero
    private let hashKey: (UInt64, UInt64)
    let limits: FlowLimits

    init(limits: FlowLimits) {
        self.limits = limits
        if case .counter(let first, _) = limits.sessionNumbering { nextSessionID = first }
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
            + freeTrackers.capacity + ending.capacity) * MemoryLayout<Int32>.stride
            + index.bytes + trackers.capacity * MemoryLayout<FlowTracker>.stride
            + packets.capacity * MemoryLayout<CapturedPackets>.stride
    }

    mutating func segment(
        _ header: TCPSegmentHeader, payload: Span<UInt8>, at time: Timestamp, context: inout SnifferContext
    ) {
        advance(to: time, context: &context)
        let (key, direction) = FlowKey.of(header)
        segment(header, key: key, direction: direction, payload: payload, at: time, context: &context)
    }

    /// Capture time moves on (a segment this table does not keep still tells the time): idle
    /// flows expire exactly when they would if the table kept every flow.
    mutating func advance(to time: Timestamp, context: inout SnifferContext) {
        context.now = time
        if time >= nextSweep { expireIdle(now: time, context: &context) }
    }

    mutating func segment(
        _ header: TCPSegmentHeader, key: FlowKey, direction: Int, payload: Span<UInt8>, at time: Timestamp,
        context: inout SnifferContext
    ) {
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
        if !payload.isEmpty {
            // Room for what this segment may add (held copy, parser buffers, a chain's
            // fingerprints) and a new tracker.
            let chain = context.limits.maxCertificatesPerChain * MemoryLayout<CertificateFingerprint>.stride
            makeRoom(min(2 * payload.count + chain, context.limits.maxFlowBytes) + (tracker < 0 ? Self.trackerBytes : 0),
                     sparing: slot, at: time, context: &context)
        }
        if tracker < 0 {
            guard !payload.isEmpty else {
                if context.evidence.inFrame, header.flags.contains(.syn) { context.evidence.synFlow = flows[Int(slot)].id }
                return
            }
            guard let started = startTracking(slot, at: time, context: &context) else {
                context.counters.add(.dropFlowStateMemcap)
                return
            }
            tracker = started
        }
        context.follow(flows[Int(slot)])
        if context.evidence.inFrame { context.evidence.target = tracker }
        trackers[Int(tracker)].receive(header, payload: payload, direction: direction, context: &context)
        if trackers[Int(tracker)].isNotTLS {
            stopTracking(slot, context: &context)
        } else if trackers[Int(tracker)].isComplete {
            report(slot, .handshakeComplete, at: flows[Int(slot)].lastSeen, context: &context)
            stopTracking(slot, context: &context)
        }
    }

    /// Keeps the frame just decoded in the packets of the flow its segment went to, then hands
    /// over the sessions that ended meanwhile (see `EvidenceRecorder`).
    mutating func keep(_ frame: Span<UInt8>, originalLength: Int, linkType: LinkType, at time: Timestamp,
                       context: inout SnifferContext) {
        context.evidence.rememberSYN(frame, originalLength: originalLength, linkType: linkType, at: time)
        let target = context.evidence.target
        if target >= 0 {
            context.evidence.keep(frame, originalLength: originalLength, linkType: linkType, at: time,
                                  in: &packets[Int(target)])
        }
        context.evidence.endFrame(frame, originalLength: originalLength, linkType: linkType, at: time)
        for index in 0 ..< context.evidence.endedCount {
            let (session, kept) = context.evidence.ended(index)
            context.observer.sessionEnded(session, packets: kept)
        }
        context.evidence.recycleEnded()
    }

    /// Ends every flow (end of input), reporting their sessions in the order they began.
    mutating func finishAll(at time: Timestamp, context: inout SnifferContext) {
        collectEnding(Self.tracked, orderedByLastSeen: false) { _ in true }
        for slot in ending { remove(slot, end: .endOfCapture, at: time, context: &context) }
        while oldest[Self.untracked] >= 0 {
            remove(oldest[Self.untracked], end: .endOfCapture, at: time, context: &context)
        }
    }

    /// Puts the flows of `list` that `ends`, from the least recently active on, into `ending`,
    /// ordered by the time each session will say it ended (its last packet, when expired; the
    /// same for all at the end of input) and then by id: an order that depends neither on how
    /// recently each flow was touched nor on how flows are shared out between workers, so `read`
    /// with several workers writes exactly what one would.
    private mutating func collectEnding(_ list: Int, orderedByLastSeen: Bool, while ends: (Flow) -> Bool) {
        ending.removeAll(keepingCapacity: true)
        var slot = oldest[list]
        while slot >= 0, ends(flows[Int(slot)]) {
            ending.append(slot)
            slot = newer[Int(slot)]
        }
        guard ending.count > 1 else { return }
        ending.sort { a, b in
            let x = flows[Int(a)], y = flows[Int(b)]
            if orderedByLastSeen, x.lastSeen != y.lastSeen { return x.lastSeen < y.lastSeen }
            return x.id < y.id
        }
    }

    // MARK: Flows

    private mutating func insert(_ key: FlowKey, hash: UInt64, at time: Timestamp,
                                 context: inout SnifferContext) -> Int32 {
        if index.count >= limits.maxFlows {
            let victim = oldest[Self.untracked] >= 0 ? oldest[Self.untracked] : oldest[Self.tracked]
            if victim >= 0 {
                context.counters.add(.dropFlowTableFull)
                remove(victim, end: .evicted, at: time, context: &context)
            }
        }
        let id: UInt64
        switch limits.sessionNumbering {
        case .counter(_, let stride):
            id = nextSessionID
            nextSessionID &+= stride
        case .frameNumber:
            id = context.frameNumber
        }
        let flow = Flow(key: key, hash: hash, id: id, time: time)
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
            if flow.phase == .tracking {
                context.follow(flow)
                trackers[Int(tracker)].flush(context: &context)
            }
            report(slot, flows[Int(slot)].isClosed ? .connectionClosed : end, at: time, context: &context)
        }
        unlink(slot)
        releaseTracker(slot, context: &context)
        index.remove(UInt64(flow.hash), slot: slot)
        freeFlows.append(slot)
    }

    private mutating func expireIdle(now: Timestamp, context: inout SnifferContext) {
        nextSweep = now.adding(seconds: 1)
        let cutoff = now.adding(seconds: -limits.idleTimeoutSeconds)
        while oldest[Self.untracked] >= 0, flows[Int(oldest[Self.untracked])].lastSeen < cutoff {
            context.counters.add(.flowsEvictedIdle)
            remove(oldest[Self.untracked], end: .idleTimeout, at: flows[Int(oldest[Self.untracked])].lastSeen,
                   context: &context)
        }
        collectEnding(Self.tracked, orderedByLastSeen: true) { $0.lastSeen < cutoff }
        for slot in ending {
            context.counters.add(.flowsEvictedIdle)
            remove(slot, end: .idleTimeout, at: flows[Int(slot)].lastSeen, context: &context)
        }
    }

    /// Evicts the least recently active flows being followed (never `slot`) until the memcap
    /// has `bytes` free, or no other flow holds a tracker.
    private mutating func makeRoom(_ bytes: Int, sparing slot: Int32, at time: Timestamp,
                                   context: inout SnifferContext) {
        while context.budget.limit - context.budget.used < bytes {
            let victim = oldest[Self.tracked]
            guard victim >= 0, victim != slot else { return }
            context.counters.add(.dropMemcapEviction)
            remove(victim, end: .evicted, at: time, context: &context)
        }
    }

    // MARK: Trackers

    /// What one tracker costs, reserved from the memcap while it is in use: the memcap bounds
    /// handshake state as well as buffered bytes, so a flood of flows that each send a byte
    /// cannot grow memory past it.
    static let trackerBytes = MemoryLayout<FlowTracker>.stride

    /// Fixed-size state of one followed handshake, outside its buffers: the flow entry, the
    /// tracker, two recency links, a slot in each free list, and index buckets (8 bytes each)
    /// at the index's lowest load, a quarter full.
    static let fixedBytesPerFollowedHandshake = MemoryLayout<Flow>.stride + trackerBytes
        + 4 * MemoryLayout<Int32>.stride + 4 * 8

    /// Takes a tracker for the flow, or nil when the memcap has no room for one.
    private mutating func startTracking(_ slot: Int32, at time: Timestamp, context: inout SnifferContext) -> Int32? {
        guard context.budget.reserve(Self.trackerBytes) else { return nil }
        var fresh = FlowTracker(time: time)
        fresh.adoptSYNs(of: flows[Int(slot)], budget: &context.budget)
        let tracker: Int32
        if let free = freeTrackers.popLast() {
            tracker = free
            trackers[Int(free)] = fresh
        } else {
            tracker = Int32(trackers.count)
            trackers.append(fresh)
            if context.evidence.isEnabled { packets.append(CapturedPackets()) }
        }
        if context.evidence.isEnabled { context.evidence.start(flows[Int(slot)].id, into: &packets[Int(tracker)]) }
        unlink(slot)
        flows[Int(slot)].tracker = tracker
        link(slot)
        return tracker
    }

    /// The handshake is over (or this is not TLS): only counting from here on.
    private mutating func stopTracking(_ slot: Int32, context: inout SnifferContext) {
        unlink(slot)
        releaseTracker(slot, context: &context)
        link(slot)
        flows[Int(slot)].markBypassed()
        context.counters.add(.flowsBypassed)
    }

    private mutating func releaseTracker(_ slot: Int32, context: inout SnifferContext) {
        let tracker = flows[Int(slot)].tracker
        guard tracker >= 0 else { return }
        trackers[Int(tracker)].release(context: &context)
        trackers[Int(tracker)] = FlowTracker()
        if context.evidence.isEnabled {
            context.evidence.recycle(&packets[Int(tracker)])
            if context.evidence.target == tracker { context.evidence.target = -1 }
        }
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
        let flow = flows[Int(slot)]
        let session = trackers[Int(tracker)].finalSession(of: flow, endedBy: end, at: time)
        guard context.evidence.isEnabled else {
            context.observer.sessionEnded(session)
            return
        }
        if context.evidence.inFrame {
            context.evidence.hold(session, packets: &packets[Int(tracker)], tracker: tracker)
        } else {
            // Handed over now; the buffer goes back to the pool when the tracker is released.
            context.observer.sessionEnded(session, packets: packets[Int(tracker)])
        }
    }

    // MARK: Recency lists

    private func list(of slot: Int32) -> Int { flows[Int(slot)].tracker >= 0 ? Self.tracked : Self.untracked }

    private mutating func touch(_ slot: Int32) {
        guard newest[list(of: slot)] != slot else { return }
        unlink(slot)
        link(slot)
    }

    /// Puts `slot` at the newest end of its list (it must not be linked).
    private mutating func link(_ slot: Int32) {
        let list = list(of: slot)
        older[Int(slot)] = newest[list]
        newer[Int(slot)] = -1
        if newest[list] >= 0 { newer[Int(newest[list])] = slot }
        newest[list] = slot
        if oldest[list] < 0 { oldest[list] = slot }
    }

    /// Takes `slot` out of its list (a no-op when it is not linked). Call it before the flow's
    /// tracker changes, since that decides the list.
    private mutating func unlink(_ slot: Int32) {
        let list = list(of: slot)
        let before = older[Int(slot)], after = newer[Int(slot)]
        if before >= 0 { newer[Int(before)] = after } else if oldest[list] == slot { oldest[list] = after }
        if after >= 0 { older[Int(after)] = before } else if newest[list] == slot { newest[list] = before }
        older[Int(slot)] = -1
        newer[Int(slot)] = -1
    }
}
