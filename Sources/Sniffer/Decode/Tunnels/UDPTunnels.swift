import Wire

/// Tunnels recognised on UDP, by well-known port; each is validated by its content before the
/// datagram is taken for a tunnel.
enum UDPTunnel {
    case vxlan, geneve, gtpUser, teredo

    init?(port: UInt16) {
        switch port {
        case 4789, 8472: self = .vxlan   // IANA VXLAN; Linux's historical default
        case 6081: self = .geneve
        case 2152: self = .gtpUser
        case 3544: self = .teredo
        default: return nil
        }
    }
}

extension PacketDecoder {
    /// Most GTP-U extension headers walked.
    static let maxGTPExtensionHeaders = 16

    /// Decodes a UDP payload as a tunnel if a port names one (destination port first) and the
    /// content is valid for it. Returns false when the datagram is not a tunnel (plain UDP).
    mutating func decodeUDPTunnel<Sink: SegmentSink>(
        sourcePort: UInt16, destinationPort: UInt16, _ payload: ByteCursor, depth: Int,
        counters: inout Counters, sink: inout Sink
    ) -> Bool {
        if let tunnel = UDPTunnel(port: destinationPort),
           decodeUDPTunnel(tunnel, payload, depth: depth, counters: &counters, sink: &sink) {
            return true
        }
        if sourcePort != destinationPort, let tunnel = UDPTunnel(port: sourcePort),
           decodeUDPTunnel(tunnel, payload, depth: depth, counters: &counters, sink: &sink) {
            return true
        }
        return false
    }

    private mutating func decodeUDPTunnel<Sink: SegmentSink>(
        _ tunnel: UDPTunnel, _ payload: ByteCursor, depth: Int,
        counters: inout Counters, sink: inout Sink
    ) -> Bool {
        switch tunnel {
        case .vxlan: decodeVXLAN(payload, depth: depth, counters: &counters, sink: &sink)
        case .geneve: decodeGeneve(payload, depth: depth, counters: &counters, sink: &sink)
        case .gtpUser: decodeGTPUser(payload, depth: depth, counters: &counters, sink: &sink)
        case .teredo: decodeTeredo(payload, depth: depth, counters: &counters, sink: &sink)
        }
    }

    /// VXLAN (RFC 7348): flags with the I (valid VNI) bit, 3 reserved bytes, VNI, 1 reserved
    /// byte, then an Ethernet frame.
    private mutating func decodeVXLAN<Sink: SegmentSink>(
        _ payload: ByteCursor, depth: Int, counters: inout Counters, sink: inout Sink
    ) -> Bool {
        var cursor = payload
        guard let flags = cursor.peek(), flags & 0x08 != 0, cursor.remaining >= 8 + 14, cursor.skip(8) else {
            return false
        }
        guard let inner = enterEncapsulation(from: depth, counters: &counters) else { return true }
        decodeEthernet(cursor, depth: inner, counters: &counters, sink: &sink)
        return true
    }

    /// Geneve (RFC 8926): version 0 and options length (4-byte units), flags, protocol type
    /// (an ethertype; 0x6558 is Ethernet), VNI, reserved, then the options.
    private mutating func decodeGeneve<Sink: SegmentSink>(
        _ payload: ByteCursor, depth: Int, counters: inout Counters, sink: inout Sink
    ) -> Bool {
        var cursor = payload
        guard let first = cursor.peek(), first >> 6 == 0, let proto = cursor.peekUInt16(2), proto >= 0x0600,
              cursor.skip(8 + Int(first & 0x3f) * 4) else {
            return false
        }
        guard let inner = enterEncapsulation(from: depth, counters: &counters) else { return true }
        if proto == 0x6558 {
            decodeEthernet(cursor, depth: inner, counters: &counters, sink: &sink)
        } else {
            decodeEthertype(proto, cursor, depth: inner, counters: &counters, sink: &sink)
        }
        return true
    }

    /// GTP-U (3GPP TS 29.281): version 1, protocol type GTP, message type 0xFF (G-PDU), length
    /// of what follows the first 8 bytes, TEID; a 4-byte sequence / N-PDU / next-extension word
    /// when any of E, S, PN is set; extension headers (length in 4-byte units, last byte the next
    /// type) while E is set; then an IPv4 or IPv6 packet.
    private mutating func decodeGTPUser<Sink: SegmentSink>(
        _ payload: ByteCursor, depth: Int, counters: inout Counters, sink: inout Sink
    ) -> Bool {
        var cursor = payload
        guard let flags = cursor.peek(0), flags >> 5 == 1, flags & 0x10 != 0,
              cursor.peek(1) == 0xff, let length = cursor.peekUInt16(2), cursor.skip(8),
              Int(length) <= cursor.remaining else {
            return false
        }
        cursor.truncate(to: Int(length))
        if flags & 0x07 != 0 {
            guard let nextType = cursor.peek(3), cursor.skip(4) else { return false }
            if flags & 0x04 != 0 {
                var next = nextType
                var walked = 0
                while next != 0 {
                    walked += 1
                    guard walked <= Self.maxGTPExtensionHeaders, let units = cursor.peek(), units > 0,
                          let following = cursor.peek(Int(units) * 4 - 1), cursor.skip(Int(units) * 4) else {
                        return false
                    }
                    next = following
                }
            }
        }
        guard let version = cursor.peek().map({ $0 >> 4 }), version == 4 || version == 6 else { return false }
        guard let inner = enterEncapsulation(from: depth, counters: &counters) else { return true }
        decodeIPByVersion(cursor, depth: inner, counters: &counters, sink: &sink)
        return true
    }

    /// Teredo (RFC 4380): an optional authentication indicator (0x0001, id length, auth length,
    /// client id, auth value, 8-byte nonce, confirmation byte) and an optional origin indication
    /// (0x0000, 8 bytes), then an IPv6 packet, accepted only if it looks like one.
    private mutating func decodeTeredo<Sink: SegmentSink>(
        _ payload: ByteCursor, depth: Int, counters: inout Counters, sink: inout Sink
    ) -> Bool {
        var cursor = payload
        if cursor.peekUInt16(0) == 0x0001 {
            guard let idLength = cursor.peek(2), let authLength = cursor.peek(3),
                  cursor.skip(4 + Int(idLength) + Int(authLength) + 9) else { return false }
        }
        if cursor.peekUInt16(0) == 0x0000 {
            guard cursor.skip(8) else { return false }
        }
        guard let first = cursor.peek(), first >> 4 == 6, let payloadLength = cursor.peekUInt16(4),
              Int(payloadLength) + 40 <= cursor.remaining else {
            return false
        }
        guard let inner = enterEncapsulation(from: depth, counters: &counters) else { return true }
        decodeIPv6(cursor, depth: inner, counters: &counters, sink: &sink)
        return true
    }
}
