import Wire

extension PacketDecoder {
    /// PPPoE session stage (ethertype 0x8864, RFC 2516): version/type 0x11, code 0x00, session id,
    /// payload length, then a PPP protocol field and its payload. (Discovery, 0x8863, is not IP.)
    mutating func decodePPPoESession<Sink: SegmentSink>(
        _ frame: ByteCursor, depth: Int, counters: inout Counters, sink: inout Sink
    ) {
        var cursor = frame
        guard let versionType = cursor.peek(0), let code = cursor.peek(1),
              let length = cursor.peekUInt16(4), cursor.skip(6) else {
            counters.add(.dropLinkTruncated)
            return
        }
        guard versionType == 0x11, code == 0x00 else {
            counters.add(.dropTunnelMalformed)
            return
        }
        // The length bounds the PPP frame (trims Ethernet padding); a longer claim than was
        // captured is left to the IP layer to notice and count.
        cursor.truncate(to: Int(length))
        guard let inner = enterEncapsulation(from: depth, counters: &counters) else { return }
        decodePPPProtocol(cursor, depth: inner, counters: &counters, sink: &sink)
    }
}
