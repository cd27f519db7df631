/// One connection in the flow table: small and fixed-size (72 bytes). Everything needed to
/// follow the handshake (reassembly, TLS parsing, the session) lives in a `FlowTracker` taken
/// from the table's pool when the first payload arrives and returned at bypass, so flows that
/// never carry data (SYN floods, half-open scans) and flows past their handshake cost only this
/// entry.
struct Flow {
    enum Phase: UInt8 {
        /// Following the handshake.
        case tracking
        /// Nothing more to learn: packets are only counted.
        case bypassed
    }

    /// One bit each of `flags`.
    private enum Flag: UInt16 {
        case bypassed = 1, sessionReported = 2, closedA = 4, closedB = 8
        case sawSYNA = 16, sawSYNB = 32, conflictingSYNA = 64, conflictingSYNB = 128
    }

    let key: FlowKey
    /// The low 32 bits of the key's hash: all the index uses.
    let hash: UInt32
    let id: UInt64
    private(set) var lastSeen: Timestamp
    /// Index of this flow's tracker in the table's pool, or -1.
    var tracker: Int32 = -1
    /// SYNs seen before a tracker exists, replayed into it: the sequence number per direction
    /// (valid when `sawSYNA`/`sawSYNB`).
    private(set) var synA: UInt32 = 0
    private(set) var synB: UInt32 = 0
    private var flags: UInt16 = 0
    /// The direction of the client's bytes according to a SYN, or -1.
    private(set) var synClientDirection: Int8 = -1

    init(key: FlowKey, hash: UInt64, id: UInt64, time: Timestamp) {
        self.key = key
        self.hash = UInt32(truncatingIfNeeded: hash)
        self.id = id
        lastSeen = time
    }

    private func has(_ flag: Flag) -> Bool { flags & flag.rawValue != 0 }
    private mutating func set(_ flag: Flag) { flags |= flag.rawValue }

    var phase: Phase { has(.bypassed) ? .bypassed : .tracking }
    var sessionReported: Bool { has(.sessionReported) }
    var sawSYNA: Bool { has(.sawSYNA) }
    var sawSYNB: Bool { has(.sawSYNB) }
    /// A second SYN with another sequence number came (two SYN-ACKs for one SYN, say).
    var conflictingSYNA: Bool { has(.conflictingSYNA) }
    var conflictingSYNB: Bool { has(.conflictingSYNB) }

    /// Both sides closed (FIN each way, or RST): the connection is over.
    var isClosed: Bool { has(.closedA) && has(.closedB) }

    /// A SYN without ACK on a connection that is over or bypassed starts a new connection.
    func isNewConnection(_ header: TCPSegmentHeader) -> Bool {
        header.flags.contains(.syn) && !header.flags.contains(.ack) && (isClosed || phase == .bypassed)
            && sessionReported
    }

    /// Notes what a segment says about the connection without a tracker: time, SYN, FIN, RST.
    /// Returns false when the flow is bypassed (the packet is only counted).
    mutating func note(_ header: TCPSegmentHeader, direction: Int, at time: Timestamp) -> Bool {
        lastSeen = max(lastSeen, time)
        let segmentFlags = header.flags
        if segmentFlags.contains(.rst) {
            set(.closedA)
            set(.closedB)
        }
        if segmentFlags.contains(.fin) { set(direction == 0 ? .closedA : .closedB) }
        guard phase == .tracking else { return false }
        if segmentFlags.contains(.syn) {
            if synClientDirection < 0 {
                synClientDirection = Int8(segmentFlags.contains(.ack) ? 1 - direction : direction)
            }
            if direction == 0 {
                if !sawSYNA {
                    synA = header.sequence
                    set(.sawSYNA)
                } else if header.sequence != synA {
                    set(.conflictingSYNA)
                }
            } else {
                if !sawSYNB {
                    synB = header.sequence
                    set(.sawSYNB)
                } else if header.sequence != synB {
                    set(.conflictingSYNB)
                }
            }
        }
        return true
    }

    mutating func markReported() { set(.sessionReported) }
    mutating func markBypassed() { set(.bypassed) }
}
