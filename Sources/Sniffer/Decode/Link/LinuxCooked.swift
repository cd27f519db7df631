import Wire

extension PacketDecoder {
    /// ARPHRD_NETLINK: the protocol field is a netlink family, not an ethertype.
    static let arphrdNetlink: UInt16 = 824

    /// Linux "cooked" capture v1 (LINKTYPE_LINUX_SLL, 16 bytes): packet type (2), ARPHRD type (2),
    /// address length (2), address (8), protocol (2).
    mutating func decodeLinuxCooked<Sink: SegmentSink>(
        _ frame: ByteCursor, depth: Int, counters: inout Counters, sink: inout Sink
    ) {
        var cursor = frame
        guard let hardwareType = cursor.peekUInt16(2), let proto = cursor.peekUInt16(14), cursor.skip(16) else {
            counters.add(.dropLinkTruncated)
            return
        }
        decodeCookedProtocol(proto, hardwareType: hardwareType, cursor, depth: depth, counters: &counters, sink: &sink)
    }

    /// Linux "cooked" capture v2 (LINKTYPE_LINUX_SLL2, 20 bytes): protocol (2), reserved (2),
    /// interface index (4), ARPHRD type (2), packet type (1), address length (1), address (8).
    mutating func decodeLinuxCooked2<Sink: SegmentSink>(
        _ frame: ByteCursor, depth: Int, counters: inout Counters, sink: inout Sink
    ) {
        var cursor = frame
        guard let proto = cursor.peekUInt16(0), let hardwareType = cursor.peekUInt16(8), cursor.skip(20) else {
            counters.add(.dropLinkTruncated)
            return
        }
        decodeCookedProtocol(proto, hardwareType: hardwareType, cursor, depth: depth, counters: &counters, sink: &sink)
    }

    /// The cooked header's protocol is an ethertype, except below 0x0600 (0x0001 Novell 802.3,
    /// 0x0004 802.2 LLC, 0x000C CAN, …) and on netlink captures.
    private mutating func decodeCookedProtocol<Sink: SegmentSink>(
        _ proto: UInt16, hardwareType: UInt16, _ payload: ByteCursor, depth: Int,
        counters: inout Counters, sink: inout Sink
    ) {
        guard hardwareType != Self.arphrdNetlink, proto >= 0x0600 else {
            counters.add(.ignoredNonIP)
            return
        }
        decodeEthertype(proto, payload, depth: depth, counters: &counters, sink: &sink)
    }
}
