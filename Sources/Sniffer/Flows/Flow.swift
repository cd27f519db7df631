/// One connection in the flow table: small and fixed-size. Everything needed to follow the
/// handshake (reassembly, TLS parsing, the session) lives in a `FlowTracker` taken from the
/// table's pool when the first payload arrives and returned at bypass, so flows that never carry
/// data (SYN floods, half-open scans) and flows past their handshake cost only this entry.
struct Flow {
    enum Phase: UInt8 {
        /// Following the handshake.
        case tracking
        /// Nothing more to learn: packets are only counted.
        case bypassed
    }

    let key: FlowKey
    let hash: UInt64
    let id: UInt64
    private(set) var lastSeen: Timestamp
    /// Index of this flow's tracker in the table's pool, or -1.
    var tracker: Int32 = -1
    private(set) var phase: Phase = .tracking
    private(set) var sessionReported = false
    private var closedA = false
    private var closedB = false
    /// SYNs seen before a tracker exists, replayed into it: (sequence, present) per direction.
    private(set) var synA: UInt32 = 0
    private(set) var synB: UInt32 = 0
    private(set) var sawSYNA = false
    private(set) var sawSYNB = false
    /// A second SYN with another sequence number came (two SYN-ACKs for one SYN, say).
    private(set) var conflictingSYNA = false
    private(set) var conflictingSYNB = false
    /// The direction of the client's bytes according to a SYN, or -1.
    private(set) var synClientDirection: Int8 = -1

    init(key: FlowKey, hash: UInt64, id: UInt64, time: Timestamp) {
        self.key = key
        self.hash = hash
        self.id = id
        lastSeen = time
    }

    /// Both sides closed (FIN each way, or RST): the connection is over.
    var isClosed: Bool { closedA && closedB }

    /// A SYN without ACK on a connection that is over or bypassed starts a new connection.
    func isNewConnection(_ header: TCPSegmentHeader) -> Bool {
        header.flags.contains(.syn) && !header.flags.contains(.ack) && (isClosed || phase == .bypassed)
            && sessionReported
    }

    /// Notes what a segment says about the connection without a tracker: time, SYN, FIN, RST.
    /// Returns false when the flow is bypassed (the packet is only counted).
    mutating func note(_ header: TCPSegmentHeader, direction: Int, at time: Timestamp) -> Bool {
        lastSeen = max(lastSeen, time)
        let flags = header.flags
        if flags.contains(.rst) {
            closedA = true
            closedB = true
        }
        if flags.contains(.fin) {
            if direction == 0 { closedA = true } else { closedB = true }
        }
        guard phase == .tracking else { return false }
        if flags.contains(.syn) {
            if synClientDirection < 0 { synClientDirection = Int8(flags.contains(.ack) ? 1 - direction : direction) }
            if direction == 0 {
                if !sawSYNA { synA = header.sequence; sawSYNA = true } else if header.sequence != synA { conflictingSYNA = true }
            } else {
                if !sawSYNB { synB = header.sequence; sawSYNB = true } else if header.sequence != synB { conflictingSYNB = true }
            }
        }
        return true
    }

    mutating func markReported() { sessionReported = true }
    mutating func markBypassed() { phase = .bypassed }
}
