import Wire

extension PacketDecoder {
    /// Ethernet II: destination and source MAC, then an ethertype (VLAN tags are stripped by
    /// ``decodeEthertype``). A value below 0x0600 is an 802.3 length field (LLC/SNAP frames,
    /// spanning tree…): not IP.
    mutating func decodeEthernet<Sink: SegmentSink>(
        _ frame: ByteCursor, depth: Int, counters: inout Counters, sink: inout Sink
    ) {
        var cursor = frame
        guard let ethertype = cursor.peekUInt16(12), cursor.skip(14) else {
            counters.add(.dropLinkTruncated)
            return
        }
        guard ethertype >= 0x0600 else {
            counters.add(.ignoredNonIP)
            return
        }
        decodeEthertype(ethertype, cursor, depth: depth, counters: &counters, sink: &sink)
    }
}
