import Wire

extension PacketDecoder {
    /// Most extension headers walked in one chain.
    static let maxIPv6ExtensionHeaders = 16

    /// IPv6 (RFC 8200): the fixed 40-byte header, payload length trimming link padding (beyond
    /// what was captured: keep what was captured, counted as snaplen truncation), then the
    /// extension header chain.
    mutating func decodeIPv6<Sink: SegmentSink>(
        _ packet: ByteCursor, depth: Int, counters: inout Counters, sink: inout Sink
    ) {
        var cursor = packet
        guard let first = cursor.peek(), first >> 4 == 6, let payloadField = cursor.peekUInt16(4),
              let nextHeader = cursor.peek(6),
              let source = Self.ipv6Address(cursor, at: 8), let destination = Self.ipv6Address(cursor, at: 24),
              cursor.skip(40) else {
            counters.add(.dropIPv6Malformed)
            return
        }
        counters.add(.ipv6Packets)
        var payloadLength = Int(payloadField)
        if payloadLength == 0 && cursor.remaining > 65535 {
            payloadLength = cursor.remaining  // jumbogram / GRO super-packet
        }
        let truncated = payloadLength > cursor.remaining
        if truncated {
            noteTruncated(counters: &counters)
        } else {
            cursor.truncate(to: payloadLength)
        }
        decodeIPv6Chain(nextHeader, cursor, source: source, destination: destination, truncated: truncated,
                        reassembled: false, depth: depth, counters: &counters, sink: &sink)
    }

    /// Walks extension headers from `first` to the transport: hop-by-hop (0), routing (43),
    /// destination options (60), mobility (135), HIP (139), shim6 (140) are (length + 1) × 8
    /// bytes; AH (51) is (length + 2) × 4; fragment (44) is 8 bytes and hands the rest to
    /// reassembly; 59 means nothing follows.
    private mutating func decodeIPv6Chain<Sink: SegmentSink>(
        _ first: UInt8, _ payload: ByteCursor, source: IPAddress, destination: IPAddress,
        truncated: Bool, reassembled: Bool, depth: Int, counters: inout Counters, sink: inout Sink
    ) {
        var next = first
        var cursor = payload
        for _ in 0..<Self.maxIPv6ExtensionHeaders {
            switch next {
            case 0, 43, 60, 135, 139, 140:
                guard let following = cursor.peek(0), let length = cursor.peek(1),
                      cursor.skip((Int(length) + 1) * 8) else {
                    dropIPv6Header(truncated: truncated, counters: &counters)
                    return
                }
                next = following
            case 51:
                guard let following = cursor.peek(0), let length = cursor.peek(1),
                      cursor.skip((Int(length) + 2) * 4) else {
                    dropIPv6Header(truncated: truncated, counters: &counters)
                    return
                }
                next = following
            case 44:
                guard let following = cursor.peek(0), let field = cursor.peekUInt16(2),
                      let identification = cursor.peekUInt32(4), cursor.skip(8) else {
                    dropIPv6Header(truncated: truncated, counters: &counters)
                    return
                }
                let offset = Int(field & 0xfff8)
                let moreFragments = field & 1 != 0
                if offset == 0 && !moreFragments {  // atomic fragment (RFC 6946): not fragmented
                    next = following
                    continue
                }
                counters.add(.ipFragments)
                guard !truncated else { return }  // counted as snaplen truncation
                guard !reassembled else {
                    counters.add(.dropFragmentMalformed)  // a fragment inside a reassembled fragment
                    return
                }
                let key = FragmentKey(source: source, destination: destination, identification: identification,
                                      transport: following, isIPv6: true)
                let outcome = fragments.insert(key, offset: offset, moreFragments: moreFragments,
                                               payload: cursor.bytes, at: current.time, counters: &counters)
                guard case .complete(let datagram) = outcome else { return }
                counters.add(.ipDatagramsReassembled)
                decodeIPv6Chain(following, ByteCursor(datagram.span), source: source, destination: destination,
                                truncated: false, reassembled: true, depth: depth, counters: &counters, sink: &sink)
                return
            case 59:
                counters.add(.ignoredOtherTransport)
                return
            default:
                decodeTransport(next, cursor, source: source, destination: destination,
                                depth: depth, counters: &counters, sink: &sink)
                return
            }
        }
        counters.add(.dropIPv6Malformed)  // chain longer than any sane packet's
    }

    /// An extension header that does not fit: malformed, unless the capture was cut short
    /// (already counted).
    private func dropIPv6Header(truncated: Bool, counters: inout Counters) {
        if !truncated { counters.add(.dropIPv6Malformed) }
    }

    /// The 16-byte address `index` bytes ahead.
    static func ipv6Address(_ cursor: ByteCursor, at index: Int) -> IPAddress? {
        guard let a = cursor.peekUInt32(index), let b = cursor.peekUInt32(index + 4),
              let c = cursor.peekUInt32(index + 8), let d = cursor.peekUInt32(index + 12) else { return nil }
        return IPAddress(high: UInt64(a) &<< 32 | UInt64(b), low: UInt64(c) &<< 32 | UInt64(d))
    }
}
