import Wire

extension PacketDecoder {
    /// UDP (RFC 768): ports, length (trims the payload; 0 on a jumbogram), checksum. Tunnels are
    /// recognised by port and validated by content; anything else is only counted.
    mutating func decodeUDP<Sink: SegmentSink>(
        _ datagram: ByteCursor, depth: Int, counters: inout Counters, sink: inout Sink
    ) {
        var cursor = datagram
        guard let sourcePort = cursor.peekUInt16(0), let destinationPort = cursor.peekUInt16(2),
              let lengthField = cursor.peekUInt16(4), cursor.skip(8) else {
            if !current.truncated { counters.add(.dropUDPMalformed) }
            return
        }
        var length = Int(lengthField)
        if length == 0 && cursor.remaining > 65535 - 8 { length = cursor.remaining + 8 }
        guard length >= 8 else {
            counters.add(.dropUDPMalformed)
            return
        }
        if length - 8 <= cursor.remaining {
            cursor.truncate(to: length - 8)
        } else if !current.truncated {
            counters.add(.dropUDPMalformed)  // claims more than its IP datagram holds
            return
        }
        counters.add(.udpDatagrams)
        _ = decodeUDPTunnel(sourcePort: sourcePort, destinationPort: destinationPort, cursor,
                            depth: depth, counters: &counters, sink: &sink)
    }
}
