import Wire

extension PacketDecoder {
    /// GRE (IP protocol 47).
    ///
    /// Version 0 (RFC 2784/2890): flags and version, protocol type, then the optional checksum
    /// (C), key (K) and sequence number (S) words. The protocol type is an ethertype, plus
    /// 0x6558 transparent Ethernet bridging, 0x88BE ERSPAN type II (type I when S is absent) and
    /// 0x22EB ERSPAN type III. RFC 1701 source routing (R) is not supported.
    ///
    /// Version 1 (RFC 2637, PPTP): key present (payload length and call id), optional sequence
    /// and acknowledgment numbers, protocol 0x880B carrying PPP.
    mutating func decodeGRE<Sink: SegmentSink>(
        _ packet: ByteCursor, depth: Int, counters: inout Counters, sink: inout Sink
    ) {
        var cursor = packet
        guard let flags = cursor.readUInt16(), let proto = cursor.readUInt16() else {
            counters.add(.dropTunnelMalformed)
            return
        }
        let hasChecksum = flags & 0x8000 != 0
        let hasRouting = flags & 0x4000 != 0
        let hasKey = flags & 0x2000 != 0
        let hasSequence = flags & 0x1000 != 0
        switch flags & 0x0007 {
        case 0:
            guard !hasRouting,
                  !hasChecksum || cursor.skip(4),
                  !hasKey || cursor.skip(4),
                  !hasSequence || cursor.skip(4) else {
                counters.add(.dropTunnelMalformed)
                return
            }
            guard let inner = enterEncapsulation(from: depth, counters: &counters) else { return }
            decodeGREPayload(proto, cursor, typeII: hasSequence, depth: inner, counters: &counters, sink: &sink)
        case 1:
            let hasAcknowledgment = flags & 0x0080 != 0
            guard proto == 0x880b, hasKey, !hasChecksum, !hasRouting,
                  let payloadLength = cursor.readUInt16(), cursor.skip(2),
                  !hasSequence || cursor.skip(4),
                  !hasAcknowledgment || cursor.skip(4) else {
                counters.add(.dropTunnelMalformed)
                return
            }
            guard payloadLength > 0 else {  // acknowledgment only
                counters.add(.ignoredNonIP)
                return
            }
            cursor.truncate(to: Int(payloadLength))
            guard let inner = enterEncapsulation(from: depth, counters: &counters) else { return }
            decodePPP(cursor, ciscoHDLC: false, depth: inner, counters: &counters, sink: &sink)
        default:
            counters.add(.dropTunnelMalformed)
        }
    }

    /// The payload of a version 0 GRE packet, by protocol type.
    private mutating func decodeGREPayload<Sink: SegmentSink>(
        _ proto: UInt16, _ payload: ByteCursor, typeII: Bool, depth: Int,
        counters: inout Counters, sink: inout Sink
    ) {
        var cursor = payload
        switch proto {
        case 0x6558:
            decodeEthernet(cursor, depth: depth, counters: &counters, sink: &sink)
        case 0x88be:
            // ERSPAN type II: 8-byte header, version 1. Type I (no sequence number): none.
            if typeII {
                guard let first = cursor.peek(), first >> 4 == 1, cursor.skip(8) else {
                    counters.add(.dropTunnelMalformed)
                    return
                }
            }
            decodeEthernet(cursor, depth: depth, counters: &counters, sink: &sink)
        case 0x22eb:
            // ERSPAN type III: 12-byte header, version 2; the O bit (lowest bit of byte 11)
            // announces an 8-byte platform-specific subheader.
            guard let first = cursor.peek(), first >> 4 == 2, let last = cursor.peek(11),
                  cursor.skip(12), last & 1 == 0 || cursor.skip(8) else {
                counters.add(.dropTunnelMalformed)
                return
            }
            decodeEthernet(cursor, depth: depth, counters: &counters, sink: &sink)
        default:
            decodeEthertype(proto, cursor, depth: depth, counters: &counters, sink: &sink)
        }
    }
}
