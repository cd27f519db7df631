import Wire

/// Cutting the stream into TLS records, in place where a record lies inside one span.
extension TLSStreamParser {
    mutating func readRecords(
        _ input: inout ByteCursor, direction: Int, state: inout HandshakeState, context: inout SnifferContext
    ) {
        while mode == .records {
            if !carry.isEmpty {
                // Complete the record that a previous segment cut off (or that scanning found).
                if carry.count < TLSRecordHeader.length {
                    if let more = input.read(min(TLSRecordHeader.length - carry.count, input.remaining)) {
                        carry.append(contentsOf: more.bytes)
                    }
                    guard carry.count >= TLSRecordHeader.length else {
                        _ = reserveHeld(&context)
                        return
                    }
                }
                guard let header = TLSRecordHeader(ByteCursor(carry.span)), header.isValid else {
                    invalidRecord(direction: direction, context: &context)
                    return
                }
                let total = TLSRecordHeader.length + header.bodyLength
                if carry.count < total, let more = input.read(min(total - carry.count, input.remaining)) {
                    reserveCarry(adding: more.remaining, of: total, context: &context)
                    carry.append(contentsOf: more.bytes)
                }
                guard reserveHeld(&context) else {
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
                releaseUnused(budget: &context.budget)
                returnCarryIfEmpty(&context)
                continue
            }
            guard !input.isEmpty else { return }
            guard let header = TLSRecordHeader(input) else {
                reserveCarry(adding: input.remaining, of: TLSRecordHeader.length, context: &context)
                carry.append(contentsOf: input.readRest().bytes)
                _ = reserveHeld(&context)
                return
            }
            guard header.isValid else {
                invalidRecord(direction: direction, context: &context)
                return
            }
            guard let record = input.read(TLSRecordHeader.length + header.bodyLength) else {
                reserveCarry(adding: input.remaining, of: TLSRecordHeader.length + header.bodyLength, context: &context)
                carry.append(contentsOf: input.readRest().bytes)
                if !reserveHeld(&context) { memcapReached(direction: direction, state: &state, context: &context) }
                return
            }
            processRecord(record, direction: direction, state: &state, context: &context)
        }
    }

    mutating func invalidRecord(direction: Int, context: inout SnifferContext) {
        context.counters.add(.dropTLSRecordInvalid)
        // Resynchronise from the byte after the bad header; what is in `carry` is rescanned.
        if !carry.isEmpty { carry.removeFirst() }
        clearMessage(&context)
        mode = .resync
        scannedBytes = 0
    }

    mutating func processRecord(
        _ record: consuming ByteCursor, direction: Int, state: inout HandshakeState,
        context: inout SnifferContext
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
}
