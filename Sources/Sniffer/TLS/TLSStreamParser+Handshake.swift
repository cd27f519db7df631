import Wire

/// Joining handshake messages that records split, and handing whole messages on.
extension TLSStreamParser {
    mutating func readHandshake(
        _ fragment: consuming ByteCursor, direction: Int, state: inout HandshakeState,
        context: inout SnifferContext
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
                reserveMessage(adding: part.remaining, of: 4, context: &context)
                message.append(contentsOf: part.bytes)
                guard message.count == 4 else {
                    _ = reserveHeld(&context)
                    return
                }
                messageTotal = 4 + (Int(message[1]) << 16 | Int(message[2]) << 8 | Int(message[3]))
            }
            let keep = min(messageTotal, cap)
            if let part = fragment.read(min(keep - message.count, fragment.remaining)) {
                reserveMessage(adding: part.remaining, of: keep, context: &context)
                message.append(contentsOf: part.bytes)
            }
            guard reserveHeld(&context) else {
                memcapReached(direction: direction, state: &state, context: &context)
                return
            }
            guard message.count == keep else { return }
            let isTruncated = keep < messageTotal
            if isTruncated { skipRemaining = messageTotal - keep }
            // Take the message out of `self` so it can be read while the parser is updated.
            var whole: [UInt8] = []
            swap(&whole, &message)
            clearMessage(&context)
            let type = whole[0]
            if !isTruncated || type == 11 {
                deliverMessage(type: type, ByteCursor(whole.span), isTruncated: isTruncated, direction: direction,
                               state: &state, context: &context)
            } else {
                context.counters.add(.dropHandshakeMalformed)
            }
            context.buffers.give(&whole)
            if skipRemaining > 0 {
                let count = min(skipRemaining, fragment.remaining)
                _ = fragment.skip(count)
                skipRemaining -= count
            }
        }
    }

    mutating func deliverMessage(
        type: UInt8, _ whole: consuming ByteCursor, isTruncated: Bool, direction: Int,
        state: inout HandshakeState, context: inout SnifferContext
    ) {
        _ = whole.skip(4)
        state.handshakeMessage(type: type, body: whole, isTruncated: isTruncated, from: direction, context: &context)
        if state.isDone(direction) { mode = .done }
    }
}
