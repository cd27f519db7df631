/// What a flow needs while its handshake is followed: both directions' reassembly and TLS
/// parsing, and the connection-wide handshake state. Pooled by the flow table; its fixed size
/// is reserved from the reassembly memcap while in use.
struct FlowTracker {
    private var streamA = StreamReassembler()
    private var streamB = StreamReassembler()
    private var parserA = TLSStreamParser()
    private var parserB = TLSStreamParser()
    private(set) var handshake: HandshakeState

    init(flow: Flow, time: Timestamp) {
        let key = flow.key
        let session = TLSSession(id: flow.id, start: time, end: time, client: key.a, server: key.b)
        handshake = HandshakeState(session: session, senders: (key.a, key.b))
    }

    /// A tracker in the free pool: holds nothing.
    init() {
        let nowhere = Endpoint(address: IPAddress(high: 0, low: 0), port: 0)
        let session = TLSSession(id: 0, start: .zero, end: .zero, client: nowhere, server: nowhere)
        handshake = HandshakeState(session: session, senders: (nowhere, nowhere))
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
    mutating func finalSession(endedBy end: SessionEnd, at time: Timestamp) -> TLSSession {
        handshake.session.overlapInconsistentBytes = streamA.inconsistentBytes + streamB.inconsistentBytes
        handshake.session.overlapInconsistentSegments = streamA.inconsistentSegments + streamB.inconsistentSegments
        handshake.finalize(endedBy: end, at: time)
        return handshake.session
    }

    /// Frees every buffer back to the memcap.
    mutating func release(budget: inout MemoryBudget) {
        streamA.releaseAll(budget: &budget)
        streamB.releaseAll(budget: &budget)
        parserA.finish(budget: &budget)
        parserB.finish(budget: &budget)
        budget.release(handshake.reservedBytes)
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
