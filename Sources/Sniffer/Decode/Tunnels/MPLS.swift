import Wire

extension PacketDecoder {
    /// Longest MPLS label stack accepted.
    static let maxMPLSLabels = 16

    /// MPLS (ethertypes 0x8847 unicast, 0x8848 multicast): 4-byte label stack entries up to the
    /// one with the bottom-of-stack bit, then the payload, told apart by its first nibble:
    /// 4 IPv4, 6 IPv6, 0 a pseudowire control word (RFC 4385) followed by an Ethernet frame.
    mutating func decodeMPLS<Sink: SegmentSink>(
        _ frame: ByteCursor, depth: Int, counters: inout Counters, sink: inout Sink
    ) {
        guard let inner = enterEncapsulation(from: depth, counters: &counters) else { return }
        var cursor = frame
        var labels = 0
        while true {
            guard let entry = cursor.readUInt32() else {
                counters.add(.dropLinkTruncated)
                return
            }
            if entry & 0x100 != 0 { break }
            labels += 1
            guard labels < Self.maxMPLSLabels else {
                counters.add(.dropTunnelTooDeep)
                return
            }
        }
        guard let first = cursor.peek() else {
            counters.add(.dropLinkTruncated)
            return
        }
        switch first >> 4 {
        case 4:
            decodeIPv4(cursor, depth: inner, counters: &counters, sink: &sink)
        case 6:
            decodeIPv6(cursor, depth: inner, counters: &counters, sink: &sink)
        case 0:
            guard cursor.skip(4) else {
                counters.add(.dropLinkTruncated)
                return
            }
            decodeEthernet(cursor, depth: inner, counters: &counters, sink: &sink)
        default:
            counters.add(.ignoredNonIP)
        }
    }
}
