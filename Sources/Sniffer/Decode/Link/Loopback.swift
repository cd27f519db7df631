import Wire

extension PacketDecoder {
    /// Loopback: a 4-byte address family, then the IP packet. LINKTYPE_NULL writes the family in
    /// the capturing host's byte order (either is accepted); LINKTYPE_LOOP in network order.
    /// AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD) or
    /// 30 (Darwin).
    mutating func decodeLoopback<Sink: SegmentSink>(
        _ frame: ByteCursor, eitherByteOrder: Bool, depth: Int,
        counters: inout Counters, sink: inout Sink
    ) {
        var cursor = frame
        guard let raw = cursor.readUInt32() else {
            counters.add(.dropLinkTruncated)
            return
        }
        var family = Self.loopbackFamily(raw)
        if family == nil && eitherByteOrder { family = Self.loopbackFamily(raw.byteSwapped) }
        switch family {
        case 4?: decodeIPv4(cursor, depth: depth, counters: &counters, sink: &sink)
        case 6?: decodeIPv6(cursor, depth: depth, counters: &counters, sink: &sink)
        default: counters.add(.ignoredNonIP)
        }
    }

    /// 4 or 6 for an AF_INET / AF_INET6 value, else nil.
    private static func loopbackFamily(_ value: UInt32) -> Int? {
        switch value {
        case 2: 4
        case 10, 24, 28, 30: 6
        default: nil
        }
    }
}
