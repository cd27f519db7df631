import Wire

/// Finding where TLS starts in a stream (any port, after any prelude) and where it resumes
/// after a gap.
extension TLSStreamParser {
    enum ScanTarget { case detecting, resync }

    /// Appends `input` to the scan window and looks for where TLS (re)starts. When found,
    /// `carry` begins with that record and `mode` is `.records`; otherwise only the last few
    /// bytes are kept, and after too many bytes the direction is given up.
    mutating func scan(
        _ input: inout ByteCursor, for target: ScanTarget, direction: Int,
        state: inout HandshakeState, context: inout SnifferContext
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
                    state.setClientPrelude(streamBytes - carry.count)
                }
            } else {
                context.counters.add(.tlsResyncs)
            }
            if !reserveHeld(&context) { memcapReached(direction: direction, state: &state, context: &context) }
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

    static func startsSSLv2Hello(_ cursor: ByteCursor) -> Bool {
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
}
