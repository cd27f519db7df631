/// What a flow needs while its handshake is followed: both directions' reassembly and TLS
/// parsing, and the connection-wide handshake state. Pooled by the flow table; its fixed size
/// is reserved from the reassembly memcap while in use. The session's identity and endpoints
/// are the flow's (`SnifferContext.flowID`/`flowKey` while a segment is handled), not copies.
struct FlowTracker {
    private var streamA = StreamReassembler()
    private var streamB = StreamReassembler()
    private var parserA = TLSStreamParser()
    private var parserB = TLSStreamParser()
    private(set) var handshake: HandshakeState

    init(time: Timestamp) {
        handshake = HandshakeState(start: time)
    }

    /// A tracker in the free pool: holds nothing.
    init() {
        handshake = HandshakeState(start: .zero)
    }

    /// Replays what the flow saw before this tracker existed: the SYNs and who sent the first.
    mutating func adoptSYNs(of flow: Flow, budget: inout MemoryBudget) {
        if flow.synClientDirection >= 0 { handshake.setRolesFromSYN(clientDirection: Int(flow.synClientDirection)) }
        if flow.sawSYNA { streamA.receiveSYN(sequence: flow.synA, budget: &budget) }
        if flow.sawSYNB { streamB.receiveSYN(sequence: flow.synB, budget: &budget) }
        // Any other sequence number stands for the conflicting SYN: the reassembler then lets the
        // first data segment decide, as it would have had it seen both.
        if flow.conflictingSYNA { streamA.receiveSYN(sequence: flow.synA &+ 1, budget: &budget) }
        if flow.conflictingSYNB { streamB.receiveSYN(sequence: flow.synB &+ 1, budget: &budget) }
    }

    var sawTLS: Bool { handshake.sawTLS }
    var isComplete: Bool { handshake.isComplete }
    /// Neither direction is TLS: nothing to follow.
    var isNotTLS: Bool { parserA.mode == .done && parserB.mode == .done && !handshake.sawTLS }

    mutating func receive(_ header: TCPSegmentHeader, payload: Span<UInt8>, direction: Int,
                          context: inout SnifferContext) {
        let flags = header.flags
        var dataSequence = header.sequence
        if flags.contains(.syn) {
            handshake.setRolesFromSYN(clientDirection: flags.contains(.ack) ? 1 - direction : direction)
            if direction == 0 {
                streamA.receiveSYN(sequence: header.sequence, budget: &context.budget)
            } else {
                streamB.receiveSYN(sequence: header.sequence, budget: &context.budget)
            }
            dataSequence &+= 1
        }
        if flags.contains(.ack) {
            if direction == 0 { streamB.peerAcknowledged(header.acknowledgment) } else { streamA.peerAcknowledged(header.acknowledgment) }
        }
        if direction == 0 {
            Self.accept(dataSequence, payload, direction: 0, stream: &streamA, parser: &parserA,
                        handshake: &handshake, context: &context)
        } else {
            Self.accept(dataSequence, payload, direction: 1, stream: &streamB, parser: &parserB,
                        handshake: &handshake, context: &context)
        }
        // This segment's ACK may show that a hole in the other direction will never fill.
        drainBoth(flush: false, context: &context)
    }

    /// Delivers what is held, skipping holes (the flow ends).
    mutating func flush(context: inout SnifferContext) { drainBoth(flush: true, context: &context) }

    /// The session record, final.
    mutating func finalSession(of flow: Flow, endedBy end: SessionEnd, at time: Timestamp) -> TLSSession {
        handshake.finalize()
        return handshake.session(
            id: flow.id, key: flow.key, end: time, endedBy: end,
            overlap: (streamA.inconsistentBytes + streamB.inconsistentBytes,
                      streamA.inconsistentSegments + streamB.inconsistentSegments))
    }

    /// Frees every buffer back to the memcap (record buffers to the pool).
    mutating func release(context: inout SnifferContext) {
        streamA.releaseAll(budget: &context.budget)
        streamB.releaseAll(budget: &context.budget)
        parserA.finish(context: &context)
        parserB.finish(context: &context)
        context.budget.release(handshake.reservedBytes)
    }

    private mutating func drainBoth(flush: Bool, context: inout SnifferContext) {
        Self.drain(direction: 0, flush: flush, stream: &streamA, parser: &parserA, handshake: &handshake,
                   context: &context)
        Self.drain(direction: 1, flush: flush, stream: &streamB, parser: &parserB, handshake: &handshake,
                   context: &context)
    }

    private static func accept(
        _ sequence: UInt32, _ payload: Span<UInt8>, direction: Int, stream: inout StreamReassembler,
        parser: inout TLSStreamParser, handshake: inout HandshakeState, context: inout SnifferContext
    ) {
        guard !payload.isEmpty, parser.mode != .done else { return }
        switch stream.receive(sequence: sequence, payload: payload, alsoHeld: parser.heldBytes, limits: context.limits,
                              budget: &context.budget, counters: &context.counters) {
        case .inOrder(let skip):
            parser.feed(payload.extracting(droppingFirst: skip), direction: direction, state: &handshake,
                        context: &context)
        case .held, .duplicate:
            break
        case .dropped(let reason):
            context.counters.add(reason)
        }
    }

    private static func drain(
        direction: Int, flush: Bool, stream: inout StreamReassembler, parser: inout TLSStreamParser,
        handshake: inout HandshakeState, context: inout SnifferContext
    ) {
        while parser.mode != .done,
              let event = stream.nextEvent(flush: flush, limits: context.limits, budget: &context.budget,
                                           counters: &context.counters) {
            switch event {
            case .data(let bytes, let skip):
                parser.feed(bytes.span.extracting(droppingFirst: skip), direction: direction, state: &handshake,
                            context: &context)
            case .gap:
                parser.gap(direction: direction, state: &handshake, context: &context)
            }
        }
    }
}
