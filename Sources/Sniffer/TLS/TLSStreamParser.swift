import Wire

/// Follows one direction of a TCP stream as TLS: finds where TLS starts (at byte 0, or after a
/// plaintext prelude such as STARTTLS or a proxy request), cuts records, joins handshake
/// messages split across records, and hands each message to the connection's `HandshakeState`.
///
/// Bytes arrive as spans from the reassembler. Whole records inside a span are parsed in place;
/// only a record cut by a segment boundary (`carry`) or a handshake message cut by a record
/// boundary (`message`) is copied, and both are bounded by the per-flow cap and the memcap.
struct TLSStreamParser {
    enum Mode: Equatable {
        /// Looking for the first ClientHello/ServerHello (any port, after any prelude).
        case detecting
        /// Cutting TLS records.
        case records
        /// Inside an SSLv2 record (2-byte header) at the very start of the stream.
        case sslv2
        /// After a gap or an invalid record: looking for a plausible record header.
        case resync
        /// Nothing more to learn here (encrypted, or not TLS).
        case done
    }

    private(set) var mode: Mode = .detecting
    private(set) var streamBytes = 0
    /// Bytes examined while detecting or resynchronising (bounded by the limits).
    private var scannedBytes = 0
    /// A partial record, or the unscanned tail while detecting/resynchronising.
    private var carry: [UInt8] = []
    /// A partial handshake message.
    private var message: [UInt8] = []
    /// Declared total length (header included) of the message being collected in `message`.
    private var messageTotal = 0
    /// Bytes still to skip of a handshake message too large to keep.
    private var skipRemaining = 0
    /// Bytes reserved from the memcap for `carry` and `message`.
    private var reservedBytes = 0

    var heldBytes: Int { reservedBytes }

    // MARK: Input

    mutating func feed<Observer>(
        _ bytes: Span<UInt8>, direction: Int, state: inout HandshakeState, context: inout SnifferContext<Observer>
    ) {
        let startOfStream = streamBytes == 0
        streamBytes += bytes.count
        var input = ByteCursor(bytes)
        while hasWork(input) {
            if state.isDone(direction) { mode = .done }
            switch mode {
            case .done:
                return
            case .detecting:
                if carry.isEmpty && startOfStream && input.offset == 0 && Self.startsSSLv2Hello(input) {
                    mode = .sslv2
                    state.enteredTLS(direction)
                } else if carry.isEmpty && TLSRecordHeader.startsHello(input) {
                    mode = .records
                    state.enteredTLS(direction)
                } else {
                    scan(&input, for: .detecting, direction: direction, state: &state, context: &context)
                }
            case .resync:
                scan(&input, for: .resync, direction: direction, state: &state, context: &context)
            case .records:
                readRecords(&input, direction: direction, state: &state, context: &context)
            case .sslv2:
                readSSLv2(&input, direction: direction, state: &state, context: &context)
            }
        }
    }

    /// Whether another round of the input loop can make progress. Each round consumes input or
    /// shrinks `carry`, so the loop ends.
    private func hasWork(_ input: borrowing ByteCursor) -> Bool {
        if !input.isEmpty { return mode != .done }
        switch mode {
        case .records: return carryIsComplete || (carry.count >= TLSRecordHeader.length && !carryHeaderIsValid)
        case .detecting, .resync: return carry.count >= Self.scanWindow
        case .sslv2, .done: return false
        }
    }

    /// The capture lost bytes of this direction: drop partial data and look for the next record.
    mutating func gap<Observer>(direction: Int, state: inout HandshakeState, context: inout SnifferContext<Observer>) {
        let lostCertificate = (messageTotal > 0 && message.first == 11) || skipRemaining > 0 || mode == .records
        state.gap(in: direction, lostCertificate: lostCertificate && state.session.serverChain == nil)
        clearBuffers(budget: &context.budget)
        skipRemaining = 0
        switch mode {
        case .records, .sslv2, .resync:
            mode = .resync
            scannedBytes = 0
        case .detecting:
            // The other side already spoke TLS: what follows the hole is mid-handshake.
            if state.sawTLS {
                mode = .resync
                scannedBytes = 0
            }
        case .done:
            break
        }
    }

    mutating func finish(budget: inout MemoryBudget) {
        clearBuffers(budget: &budget)
        mode = .done
    }

    private var carryIsComplete: Bool {
        guard carry.count >= TLSRecordHeader.length else { return false }
        let length = Int(carry[3]) << 8 | Int(carry[4])
        return carry.count >= TLSRecordHeader.length + length
    }

    private var carryHeaderIsValid: Bool {
        TLSRecordHeader(ByteCursor(carry.span))?.isValid ?? false
    }

    /// Bytes a start-of-TLS check looks at.
    private static let scanWindow = 10

    // MARK: Finding TLS in a stream

    private enum ScanTarget { case detecting, resync }

    /// Appends `input` to the scan window and looks for where TLS (re)starts. When found,
    /// `carry` begins with that record and `mode` is `.records`; otherwise only the last few
    /// bytes are kept, and after too many bytes the direction is given up.
    private mutating func scan<Observer>(
        _ input: inout ByteCursor, for target: ScanTarget, direction: Int,
        state: inout HandshakeState, context: inout SnifferContext<Observer>
    ) {
        let limit = target == .detecting ? context.limits.maxPreludeBytes : context.limits.maxResyncBytes
        let rest = input.readRest()
        scannedBytes += rest.remaining
        carry.append(contentsOf: rest.bytes)
        var found: Int?
        var window = ByteCursor(carry.span)
        var index = 0
        while window.remaining >= Self.scanWindow {
            let hit = target == .detecting
                ? TLSRecordHeader.startsHello(window) : TLSRecordHeader.plausibleAfterGap(window)
            if hit {
                found = index
                break
            }
            _ = window.skip(1)
            index += 1
        }
        if let start = found {
            carry.removeFirst(start)
            mode = .records
            if target == .detecting {
                state.enteredTLS(direction)
                if state.role(of: direction) != .server {
                    state.session.clientPreludeBytes = streamBytes - carry.count
                }
            } else {
                context.counters.add(.tlsResyncs)
            }
            if !reserveCarry(&context) { memcapReached(direction: direction, state: &state, context: &context) }
            return
        }
        carry.removeFirst(max(0, carry.count - (Self.scanWindow - 1)))
        if scannedBytes > limit {
            context.counters.add(target == .detecting ? .dropNotTLS : .dropGapUnrecoverable)
            carry = []
            mode = .done
            state.markDone(direction)
        }
    }

    private static func startsSSLv2Hello(_ cursor: ByteCursor) -> Bool {
        guard let first = cursor.peek(0), first & 0x80 != 0, let length = cursor.peekUInt16(0),
              let type = cursor.peek(2) else { return false }
        let bodyLength = Int(length & 0x7fff)
        switch type {
        case 1:  // CLIENT-HELLO: version 0x0002 or 3.x
            guard let version = cursor.peekUInt16(3) else { return false }
            return bodyLength >= 9 && (version == 0x0002 || version >> 8 == 3)
        case 4:  // SERVER-HELLO: session-id-hit 0/1, certificate type 1 (X.509)
            return bodyLength >= 11 && (cursor.peek(3) ?? 2) <= 1 && cursor.peek(4) == 1
        default:
            return false
        }
    }

    // MARK: Records

    private mutating func readRecords<Observer>(
        _ input: inout ByteCursor, direction: Int, state: inout HandshakeState, context: inout SnifferContext<Observer>
    ) {
        while mode == .records {
            if !carry.isEmpty {
                // Complete the record that a previous segment cut off (or that scanning found).
                if carry.count < TLSRecordHeader.length {
                    if let more = input.read(min(TLSRecordHeader.length - carry.count, input.remaining)) {
                        carry.append(contentsOf: more.bytes)
                    }
                    guard carry.count >= TLSRecordHeader.length else {
                        _ = reserveCarry(&context)
                        return
                    }
                }
                guard let header = TLSRecordHeader(ByteCursor(carry.span)), header.isValid else {
                    invalidRecord(direction: direction, context: &context)
                    return
                }
                let total = TLSRecordHeader.length + header.bodyLength
                if carry.count < total, let more = input.read(min(total - carry.count, input.remaining)) {
                    carry.append(contentsOf: more.bytes)
                }
                guard reserveCarry(&context) else {
                    memcapReached(direction: direction, state: &state, context: &context)
                    return
                }
                guard carry.count >= total else { return }
                var buffered: [UInt8] = []
                swap(&buffered, &carry)
                processRecord(ByteCursor(buffered.span.extracting(0..<total)), direction: direction,
                              state: &state, context: &context)
                buffered.removeFirst(total)
                swap(&buffered, &carry)
                releaseCarry(&context)
                continue
            }
            guard !input.isEmpty else { return }
            guard let header = TLSRecordHeader(input) else {
                carry.append(contentsOf: input.readRest().bytes)
                _ = reserveCarry(&context)
                return
            }
            guard header.isValid else {
                invalidRecord(direction: direction, context: &context)
                return
            }
            guard let record = input.read(TLSRecordHeader.length + header.bodyLength) else {
                carry.append(contentsOf: input.readRest().bytes)
                if !reserveCarry(&context) { memcapReached(direction: direction, state: &state, context: &context) }
                return
            }
            processRecord(record, direction: direction, state: &state, context: &context)
        }
    }

    private mutating func invalidRecord<Observer>(direction: Int, context: inout SnifferContext<Observer>) {
        context.counters.add(.dropTLSRecordInvalid)
        // Resynchronise from the byte after the bad header; what is in `carry` is rescanned.
        if !carry.isEmpty { carry.removeFirst() }
        clearMessage(budget: &context.budget)
        mode = .resync
        scannedBytes = 0
    }

    private mutating func processRecord<Observer>(
        _ record: consuming ByteCursor, direction: Int, state: inout HandshakeState,
        context: inout SnifferContext<Observer>
    ) {
        context.counters.add(.tlsRecords)
        guard let type = record.readUInt8(), record.skip(4) else { return }
        switch TLSRecordHeader.ContentType(rawValue: type) {
        case .handshake:
            readHandshake(record, direction: direction, state: &state, context: &context)
        case .changeCipherSpec:
            state.changeCipherSpec(from: direction)
            mode = .done
        case .alert:
            // A fatal plaintext alert, or any encrypted one, ends what can be learned here.
            if record.remaining != 2 || record.peek(0) == 2 {
                state.markDone(direction)
                mode = .done
            }
        case .applicationData:
            state.markDone(direction)
            mode = .done
        case .heartbeat, nil:
            break
        }
    }

    // MARK: Handshake messages

    private mutating func readHandshake<Observer>(
        _ fragment: consuming ByteCursor, direction: Int, state: inout HandshakeState,
        context: inout SnifferContext<Observer>
    ) {
        if skipRemaining > 0 {
            let count = min(skipRemaining, fragment.remaining)
            _ = fragment.skip(count)
            skipRemaining -= count
        }
        let cap = context.limits.maxFlowBytes
        while !fragment.isEmpty && mode == .records {
            if messageTotal == 0 {
                if message.isEmpty, let length = fragment.peekUInt24(1),
                   4 + Int(length) <= fragment.remaining, let type = fragment.peek(0),
                   let whole = fragment.read(4 + Int(length)) {
                    // The common case: the whole message is inside this record.
                    deliverMessage(type: type, whole, isTruncated: false, direction: direction,
                                   state: &state, context: &context)
                    continue
                }
                // Collect the 4-byte header first, then the declared length.
                guard let part = fragment.read(min(4 - message.count, fragment.remaining)) else { return }
                message.append(contentsOf: part.bytes)
                guard message.count == 4 else {
                    _ = reserveMessage(&context)
                    return
                }
                messageTotal = 4 + (Int(message[1]) << 16 | Int(message[2]) << 8 | Int(message[3]))
            }
            let keep = min(messageTotal, cap)
            if let part = fragment.read(min(keep - message.count, fragment.remaining)) {
                message.append(contentsOf: part.bytes)
            }
            guard reserveMessage(&context) else {
                memcapReached(direction: direction, state: &state, context: &context)
                return
            }
            guard message.count == keep else { return }
            let isTruncated = keep < messageTotal
            var whole: [UInt8] = []
            swap(&whole, &message)
            let type = whole[0]
            if !isTruncated || type == 11 {
                deliverMessage(type: type, ByteCursor(whole.span), isTruncated: isTruncated, direction: direction,
                               state: &state, context: &context)
            } else {
                context.counters.add(.dropHandshakeMalformed)
            }
            whole.removeAll(keepingCapacity: true)
            swap(&whole, &message)
            if isTruncated {
                skipRemaining = messageTotal - keep
                let count = min(skipRemaining, fragment.remaining)
                _ = fragment.skip(count)
                skipRemaining -= count
            }
            messageTotal = 0
            clearMessage(budget: &context.budget)
        }
    }

    private mutating func deliverMessage<Observer>(
        type: UInt8, _ whole: consuming ByteCursor, isTruncated: Bool, direction: Int,
        state: inout HandshakeState, context: inout SnifferContext<Observer>
    ) {
        _ = whole.skip(4)
        state.handshakeMessage(type: type, body: whole, isTruncated: isTruncated, from: direction, context: &context)
        if state.isDone(direction) { mode = .done }
    }

    // MARK: SSLv2

    private mutating func readSSLv2<Observer>(
        _ input: inout ByteCursor, direction: Int, state: inout HandshakeState, context: inout SnifferContext<Observer>
    ) {
        carry.append(contentsOf: input.readRest().bytes)
        guard reserveCarry(&context) else {
            memcapReached(direction: direction, state: &state, context: &context)
            return
        }
        guard carry.count >= 2 else { return }
        let total = 2 + (Int(carry[0] & 0x7f) << 8 | Int(carry[1]))
        guard carry.count >= total else { return }
        var record: [UInt8] = []
        swap(&record, &carry)
        var cursor = ByteCursor(record.span.extracting(0..<total))
        _ = cursor.skip(2)
        switch cursor.readUInt8() {
        case 1:
            if let hello = ClientHello(sslv2Body: cursor) {
                state.clientHello(hello, from: direction, context: &context)
            } else {
                context.counters.add(.dropHandshakeMalformed)
            }
        case 4:
            if let (hello, certificate) = ServerHello.sslv2(cursor) {
                state.sslv2ServerHello(hello, certificate: certificate, from: direction, context: &context)
            } else {
                context.counters.add(.dropHandshakeMalformed)
            }
        default:
            break
        }
        // After the SSLv2 hello, a compatible client continues with TLS records.
        record.removeFirst(total)
        swap(&record, &carry)
        releaseCarry(&context)
        mode = state.isDone(direction) ? .done : .records
    }

    // MARK: Memory

    private mutating func reserveCarry<Observer>(_ context: inout SnifferContext<Observer>) -> Bool {
        reserve(to: carry.count + message.count, &context)
    }

    private mutating func reserveMessage<Observer>(_ context: inout SnifferContext<Observer>) -> Bool {
        reserve(to: carry.count + message.count, &context)
    }

    private mutating func reserve<Observer>(to total: Int, _ context: inout SnifferContext<Observer>) -> Bool {
        guard total > reservedBytes else { return true }
        guard context.budget.reserve(total - reservedBytes) else { return false }
        reservedBytes = total
        return true
    }

    private mutating func releaseCarry<Observer>(_ context: inout SnifferContext<Observer>) {
        let total = carry.count + message.count
        if total < reservedBytes {
            context.budget.release(reservedBytes - total)
            reservedBytes = total
        }
    }

    private mutating func clearMessage(budget: inout MemoryBudget) {
        message = []
        messageTotal = 0
        let total = carry.count
        if total < reservedBytes {
            budget.release(reservedBytes - total)
            reservedBytes = total
        }
    }

    private mutating func clearBuffers(budget: inout MemoryBudget) {
        carry = []
        message = []
        messageTotal = 0
        budget.release(reservedBytes)
        reservedBytes = 0
    }

    private mutating func memcapReached<Observer>(
        direction: Int, state: inout HandshakeState, context: inout SnifferContext<Observer>
    ) {
        context.counters.add(.dropReassemblyMemcap)
        if state.role(of: direction) != .client { state.unobservable(.reassemblyMemcap) }
        clearBuffers(budget: &context.budget)
        mode = .done
        state.markDone(direction)
    }
}
