import Wire

/// A TCP connection, keyed without direction: `a` is the lower endpoint, `b` the higher.
struct FlowKey: Hashable {
    var a: Endpoint
    var b: Endpoint

    /// The key for a segment and the direction it travels in (0: a → b, 1: b → a).
    static func of(_ header: TCPSegmentHeader) -> (FlowKey, direction: Int) {
        let source = Endpoint(address: header.source, port: header.sourcePort)
        let destination = Endpoint(address: header.destination, port: header.destinationPort)
        if (source.address, source.port) <= (destination.address, destination.port) {
            return (FlowKey(a: source, b: destination), 0)
        }
        return (FlowKey(a: destination, b: source), 1)
    }
}

/// One tracked connection: both directions' reassembly and TLS parsing, and the handshake.
struct Flow {
    enum Phase {
        /// Following the handshake.
        case tracking
        /// Nothing more to learn: packets are only counted.
        case bypassed
    }

    let key: FlowKey
    private(set) var lastSeen: Timestamp
    private(set) var phase: Phase = .tracking
    private var streamA = StreamReassembler()
    private var streamB = StreamReassembler()
    private var parserA = TLSStreamParser()
    private var parserB = TLSStreamParser()
    private var handshake: HandshakeState
    private(set) var sessionReported = false
    private var closedA = false
    private var closedB = false

    init(key: FlowKey, id: UInt64, time: Timestamp) {
        self.key = key
        lastSeen = time
        let session = TLSSession(id: id, start: time, end: time, client: key.a, server: key.b)
        handshake = HandshakeState(session: session, senders: (key.a, key.b))
    }

    /// Both sides closed (FIN each way, or RST): the connection is over.
    var isClosed: Bool { closedA && closedB }

    /// A SYN without ACK on a connection that is over or bypassed starts a new connection.
    func isNewConnection(_ header: TCPSegmentHeader) -> Bool {
        header.flags.contains(.syn) && !header.flags.contains(.ack) && (isClosed || phase == .bypassed)
            && sessionReported
    }

    mutating func receive<Observer>(
        _ header: TCPSegmentHeader, payload: Span<UInt8>, direction: Int, at time: Timestamp,
        context: inout SnifferContext<Observer>
    ) {
        lastSeen = max(lastSeen, time)
        let flags = header.flags
        if flags.contains(.rst) {
            closedA = true
            closedB = true
        }
        guard phase == .tracking else {
            context.counters.add(.segmentsInBypassedFlows)
            if flags.contains(.fin) { close(direction) }
            return
        }
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
        if flags.contains(.fin) { close(direction) }
        // This segment's ACK may show that a hole in the other direction will never fill.
        drainBoth(flush: false, context: &context)
        if handshake.isComplete { bypass(context: &context) }
    }

    /// Ends the flow: delivers what is held (skipping holes), then reports the session.
    mutating func finish<Observer>(_ end: SessionEnd, at time: Timestamp, context: inout SnifferContext<Observer>) {
        if phase == .tracking { drainBoth(flush: true, context: &context) }
        report(end, at: time, context: &context)
        release(context: &context)
    }

    /// The session record, if this flow carried TLS and it was not reported yet.
    private mutating func report<Observer>(_ end: SessionEnd, at time: Timestamp, context: inout SnifferContext<Observer>) {
        guard !sessionReported, handshake.sawTLS else { return }
        sessionReported = true
        handshake.finalize(endedBy: end, at: time)
        context.counters.add(.tlsSessions)
        context.observer.sessionEnded(handshake.session)
    }

    private mutating func bypass<Observer>(context: inout SnifferContext<Observer>) {
        report(.handshakeComplete, at: lastSeen, context: &context)
        release(context: &context)
        phase = .bypassed
        context.counters.add(.flowsBypassed)
    }

    private mutating func release<Observer>(context: inout SnifferContext<Observer>) {
        streamA.releaseAll(budget: &context.budget)
        streamB.releaseAll(budget: &context.budget)
        parserA.finish(budget: &context.budget)
        parserB.finish(budget: &context.budget)
    }

    private mutating func close(_ direction: Int) {
        if direction == 0 { closedA = true } else { closedB = true }
    }

    private mutating func drainBoth<Observer>(flush: Bool, context: inout SnifferContext<Observer>) {
        Self.drain(direction: 0, flush: flush, stream: &streamA, parser: &parserA, handshake: &handshake,
                   context: &context)
        Self.drain(direction: 1, flush: flush, stream: &streamB, parser: &parserB, handshake: &handshake,
                   context: &context)
        if parserA.mode == .done && parserB.mode == .done && phase == .tracking && !handshake.sawTLS {
            // Neither direction is TLS: stop looking.
            release(context: &context)
            phase = .bypassed
            context.counters.add(.flowsBypassed)
        }
    }

    private static func accept<Observer>(
        _ sequence: UInt32, _ payload: Span<UInt8>, direction: Int, stream: inout StreamReassembler,
        parser: inout TLSStreamParser, handshake: inout HandshakeState, context: inout SnifferContext<Observer>
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

    private static func drain<Observer>(
        direction: Int, flush: Bool, stream: inout StreamReassembler, parser: inout TLSStreamParser,
        handshake: inout HandshakeState, context: inout SnifferContext<Observer>
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
