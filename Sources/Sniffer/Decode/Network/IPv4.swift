import Wire

extension PacketDecoder {
    /// IPv4 (RFC 791): header length ≥ 20 with options skipped; the total length trims link
    /// padding; a total length beyond what was captured keeps what was captured (counted as
    /// snaplen truncation). Fragments go to reassembly; checksums are not verified (offloaded
    /// checksums are commonly wrong in captures).
    mutating func decodeIPv4<Sink: SegmentSink>(
        _ packet: ByteCursor, depth: Int, counters: inout Counters, sink: inout Sink
    ) {
        var cursor = packet
        guard let versionAndLength = cursor.peek(), versionAndLength >> 4 == 4 else {
            counters.add(.dropIPv4Malformed)
            return
        }
        let headerLength = Int(versionAndLength & 0x0f) * 4
        guard headerLength >= 20, headerLength <= cursor.remaining,
              let totalField = cursor.peekUInt16(2), let identification = cursor.peekUInt16(4),
              let fragmentField = cursor.peekUInt16(6), let transport = cursor.peek(9),
              let sourceValue = cursor.peekUInt32(12), let destinationValue = cursor.peekUInt32(16) else {
            counters.add(.dropIPv4Malformed)
            return
        }
        var totalLength = Int(totalField)
        if totalLength == 0 && cursor.remaining > 65535 {
            totalLength = cursor.remaining  // GRO / BIG TCP super-packet: length left at zero
        }
        guard totalLength >= headerLength else {
            counters.add(.dropIPv4Malformed)
            return
        }
        counters.add(.ipv4Packets)
        let truncated = totalLength > cursor.remaining
        if truncated {
            noteTruncated(counters: &counters)
        } else {
            cursor.truncate(to: totalLength)
        }
        _ = cursor.skip(headerLength)
        let source = IPAddress(ipv4: sourceValue)
        let destination = IPAddress(ipv4: destinationValue)

        let moreFragments = fragmentField & 0x2000 != 0
        let fragmentOffset = Int(fragmentField & 0x1fff) * 8
        guard moreFragments || fragmentOffset != 0 else {
            decodeTransport(transport, cursor, source: source, destination: destination,
                            depth: depth, counters: &counters, sink: &sink)
            return
        }
        counters.add(.ipFragments)
        guard !truncated else { return }  // a partial fragment cannot be reassembled; counted above
        let key = FragmentKey(source: source, destination: destination, identification: UInt32(identification),
                              transport: transport, isIPv6: false)
        let outcome = fragments.insert(key, offset: fragmentOffset, moreFragments: moreFragments,
                                       payload: cursor.bytes, at: current.time, counters: &counters)
        guard case .complete(let datagram) = outcome else { return }
        counters.add(.ipDatagramsReassembled)
        decodeReassembled(datagram, transport: transport, source: source, destination: destination,
                          depth: depth, counters: &counters, sink: &sink)
    }
}
