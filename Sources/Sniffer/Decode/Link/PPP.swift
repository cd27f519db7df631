import Wire

extension PacketDecoder {
    /// PPP frames (LINKTYPE_PPP, LINKTYPE_PPP_HDLC/PPP_SERIAL, PPTP's enhanced GRE): an optional
    /// FF 03 address and control, then the PPP protocol. PPP_SERIAL captures may instead carry
    /// Cisco HDLC (address 0x0F or 0x8F, control 0x00, then an ethertype).
    mutating func decodePPP<Sink: SegmentSink>(
        _ frame: ByteCursor, ciscoHDLC: Bool, depth: Int, counters: inout Counters, sink: inout Sink
    ) {
        var cursor = frame
        if cursor.peek(0) == 0xff && cursor.peek(1) == 0x03 {
            _ = cursor.skip(2)
        } else if ciscoHDLC, let address = cursor.peek(0), address == 0x0f || address == 0x8f,
                  cursor.peek(1) == 0x00 {
            guard let ethertype = cursor.peekUInt16(2), cursor.skip(4) else {
                counters.add(.dropLinkTruncated)
                return
            }
            decodeEthertype(ethertype, cursor, depth: depth, counters: &counters, sink: &sink)
            return
        }
        decodePPPProtocol(cursor, depth: depth, counters: &counters, sink: &sink)
    }

    /// The PPP protocol field (two bytes, or one when protocol-field compression made it odd),
    /// then the payload: 0x0021 IPv4, 0x0057 IPv6; anything else (LCP, IPCP, CCP…) is not IP.
    mutating func decodePPPProtocol<Sink: SegmentSink>(
        _ frame: ByteCursor, depth: Int, counters: inout Counters, sink: inout Sink
    ) {
        var cursor = frame
        guard let first = cursor.readUInt8() else {
            counters.add(.dropLinkTruncated)
            return
        }
        var proto = UInt16(first)
        if first & 1 == 0 {
            guard let second = cursor.readUInt8() else {
                counters.add(.dropLinkTruncated)
                return
            }
            proto = proto &<< 8 | UInt16(second)
        }
        switch proto {
        case 0x0021: decodeIPv4(cursor, depth: depth, counters: &counters, sink: &sink)
        case 0x0057: decodeIPv6(cursor, depth: depth, counters: &counters, sink: &sink)
        default: counters.add(.ignoredNonIP)
        }
    }
}
