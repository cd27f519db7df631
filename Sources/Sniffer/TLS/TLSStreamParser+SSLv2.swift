import Wire

/// The SSLv2 record at the start of a stream: a compatible CLIENT-HELLO or a SERVER-HELLO.
extension TLSStreamParser {
    mutating func readSSLv2(
        _ input: inout ByteCursor, direction: Int, state: inout HandshakeState, context: inout SnifferContext
    ) {
        carry.append(contentsOf: input.readRest().bytes)
        guard reserveHeld(&context) else {
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
        releaseUnused(budget: &context.budget)
        returnCarryIfEmpty(&context)
        mode = state.isDone(direction) ? .done : .records
    }
}
