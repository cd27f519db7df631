import Wire

extension PacketDecoder {
    /// TCP (RFC 9293): ports, sequence and acknowledgment numbers, data offset (≥ 5 words and
    /// within the segment), flags, window; options skipped; the rest is the payload, handed to
    /// the sink as a span over the packet.
    mutating func decodeTCP<Sink: SegmentSink>(
        _ segment: ByteCursor, source: IPAddress, destination: IPAddress,
        counters: inout Counters, sink: inout Sink
    ) {
        var cursor = segment
        guard let sourcePort = cursor.peekUInt16(0), let destinationPort = cursor.peekUInt16(2),
              let sequence = cursor.peekUInt32(4), let acknowledgment = cursor.peekUInt32(8),
              let dataOffset = cursor.peek(12), let flags = cursor.peek(13),
              let window = cursor.peekUInt16(14) else {
            if !current.truncated { counters.add(.dropTCPMalformed) }
            return
        }
        let headerLength = Int(dataOffset >> 4) * 4
        guard headerLength >= 20 else {
            counters.add(.dropTCPMalformed)
            return
        }
        guard cursor.skip(headerLength) else {
            if !current.truncated { counters.add(.dropTCPMalformed) }
            return
        }
        let header = TCPSegmentHeader(
            source: source, destination: destination, sourcePort: sourcePort, destinationPort: destinationPort,
            sequence: sequence, acknowledgment: acknowledgment, flags: TCPFlags(rawValue: flags), window: window)
        counters.add(.tcpSegments)
        sink.tcpSegment(header, payload: cursor.bytes, at: current.time)
    }
}
