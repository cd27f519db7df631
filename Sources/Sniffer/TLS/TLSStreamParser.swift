import Wire

/// Follows one direction of a TCP stream as TLS: finds where TLS starts (at byte 0, or after a
/// plaintext prelude such as STARTTLS or a proxy request), cuts records, joins handshake
/// messages split across records, and hands each message to the connection's `HandshakeState`.
///
/// Bytes arrive as spans from the reassembler. Whole records inside a span are parsed in place;
/// only a record cut by a segment boundary (`carry`) or a handshake message cut by a record
/// boundary (`message`) is copied, and both are bounded by the per-flow cap and the memcap.
struct TLSStreamParser {
    enum Mode: UInt8 {
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

    // Stored fields are ordered by size and narrowed (40 bytes a direction): every count is
    // within the per-flow cap or a limit, which `SnifferContext` keeps below 2^31.
    /// A partial record, or the unscanned tail while detecting/resynchronising.
    var carry: [UInt8] = []
    /// A partial handshake message.
    var message: [UInt8] = []
    var mode: Mode = .detecting

    /// Bytes fed (saturating: only its start and the prelude, within the limits, are read).
    @Saturating32 var streamBytes = 0
    /// Bytes examined while detecting or resynchronising (bounded by the limits).
    @Saturating32 var scannedBytes = 0
    /// Declared total length (header included) of the message being collected in `message`.
    @Saturating32 var messageTotal = 0
    /// Bytes still to skip of a handshake message too large to keep.
    @Saturating32 var skipRemaining = 0
    /// Bytes reserved from the memcap for `carry` and `message`.
    @Saturating32 var reservedBytes = 0

    /// Bytes held (against the per-flow cap, with what the reassembler holds).
    var heldBytes: Int { carry.count + message.count }

    // MARK: Input

    mutating func feed(
        _ bytes: Span<UInt8>, direction: Int, state: inout HandshakeState, context: inout SnifferContext
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
    func hasWork(_ input: borrowing ByteCursor) -> Bool {
        if !input.isEmpty { return mode != .done }
        switch mode {
        case .records: return carryIsComplete || (carry.count >= TLSRecordHeader.length && !carryHeaderIsValid)
        case .detecting, .resync: return carry.count >= Self.scanWindow
        case .sslv2, .done: return false
        }
    }

    /// The capture lost bytes of this direction: drop partial data and look for the next record.
    mutating func gap(direction: Int, state: inout HandshakeState, context: inout SnifferContext) {
        let lostCertificate = (messageTotal > 0 && message.first == 11) || skipRemaining > 0 || mode == .records
        state.gap(in: direction, lostCertificate: lostCertificate && state.serverChain == nil)
        clearBuffers(&context)
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

    mutating func finish(context: inout SnifferContext) {
        clearBuffers(&context)
        mode = .done
    }

    var carryIsComplete: Bool {
        guard carry.count >= TLSRecordHeader.length else { return false }
        let length = Int(carry[3]) << 8 | Int(carry[4])
        return carry.count >= TLSRecordHeader.length + length
    }

    var carryHeaderIsValid: Bool {
        TLSRecordHeader(ByteCursor(carry.span))?.isValid ?? false
    }

    /// Bytes a start-of-TLS check looks at.
    static let scanWindow = 10
}
