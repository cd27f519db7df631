import Wire

/// Bounds for the packet decoder: how deep encapsulations may nest, and how much IP fragment
/// reassembly may hold.
public struct DecoderLimits: Sendable {
    /// Encapsulations (PPPoE, MPLS, GRE, IP-in-IP, UDP tunnels) allowed inside one frame.
    public var maxTunnelDepth: Int
    /// An unfinished fragmented datagram is dropped this long (capture time) after its first fragment.
    public var fragmentTimeoutSeconds: Double
    /// Bytes held in all unfinished datagrams.
    public var fragmentMemcap: Int
    /// Unfinished datagrams held at once.
    public var maxFragmentTrains: Int

    public init(maxTunnelDepth: Int = 8, fragmentTimeoutSeconds: Double = 30,
                fragmentMemcap: Int = 8 << 20, maxFragmentTrains: Int = 4096) {
        self.maxTunnelDepth = maxTunnelDepth
        self.fragmentTimeoutSeconds = fragmentTimeoutSeconds
        self.fragmentMemcap = fragmentMemcap
        self.maxFragmentTrains = maxFragmentTrains
    }
}

/// Turns captured frames into TCP segments: link layer → encapsulations and tunnels → IPv4/IPv6
/// (with fragment reassembly) → TCP, delivered to a ``SegmentSink``.
///
/// Every layer parses through ``ByteCursor`` over the frame's own bytes; nothing is copied except
/// IP fragments, which must be held until their datagram is complete. Everything that is not
/// decoded is counted, by reason. One decoder per worker thread.
public struct PacketDecoder {
    public let limits: DecoderLimits

    /// Nesting ceiling actually enforced (the configured depth, clamped so hostile nesting can
    /// never exhaust the stack).
    let maxDepth: Int
    var fragments: FragmentReassembler
    /// Facts about the frame being decoded.
    var current = FrameState()

    struct FrameState {
        var time = Timestamp.zero
        /// `tunnelledPackets` already counted for this frame.
        var tunnelled = false
        /// `dropSnaplenTruncated` already counted for this frame (an outer IP header said the
        /// datagram is longer than what was captured).
        var truncated = false
    }

    static let depthCeiling = 64

    public init(limits: DecoderLimits = DecoderLimits()) {
        self.limits = limits
        maxDepth = min(max(limits.maxTunnelDepth, 0), Self.depthCeiling)
        fragments = FragmentReassembler(limits: limits)
    }

    /// Bytes held in unfinished fragmented datagrams.
    public var fragmentBytesHeld: Int { fragments.bytesHeld }

    /// Decodes one captured frame of link type `linkType`, handing every TCP segment in it to
    /// `sink`. Packets and bytes are counted by the caller; everything else is counted here.
    public mutating func decode<Sink: SegmentSink>(
        _ frame: Span<UInt8>, linkType: LinkType, at time: Timestamp,
        counters: inout Counters, into sink: inout Sink
    ) {
        current = FrameState(time: time)
        fragments.expire(now: time, counters: &counters)
        let cursor = ByteCursor(frame)
        switch linkType {
        case .ethernet:
            decodeEthernet(cursor, depth: 0, counters: &counters, sink: &sink)
        case .linuxSLL:
            decodeLinuxCooked(cursor, depth: 0, counters: &counters, sink: &sink)
        case .linuxSLL2:
            decodeLinuxCooked2(cursor, depth: 0, counters: &counters, sink: &sink)
        case .null:
            decodeLoopback(cursor, eitherByteOrder: true, depth: 0, counters: &counters, sink: &sink)
        case .loop:
            decodeLoopback(cursor, eitherByteOrder: false, depth: 0, counters: &counters, sink: &sink)
        case .raw, .rawOpenBSD, .linktypeRaw:
            decodeIPByVersion(cursor, depth: 0, counters: &counters, sink: &sink)
        case .ipv4:
            decodeIPv4(cursor, depth: 0, counters: &counters, sink: &sink)
        case .ipv6:
            decodeIPv6(cursor, depth: 0, counters: &counters, sink: &sink)
        case .ppp:
            decodePPP(cursor, ciscoHDLC: false, depth: 0, counters: &counters, sink: &sink)
        case .pppSerial:
            decodePPP(cursor, ciscoHDLC: true, depth: 0, counters: &counters, sink: &sink)
        default:
            counters.add(.dropLinkUnsupported)
        }
    }

    /// Drops unfinished fragment trains older than the timeout (counts dropFragmentTimeout).
    public mutating func expireFragments(now: Timestamp, counters: inout Counters) {
        fragments.expire(now: now, counters: &counters)
    }

    // MARK: Shared dispatch

    /// The depth inside one more encapsulation, or nil (counted) when that would be too deep.
    mutating func enterEncapsulation(from depth: Int, counters: inout Counters) -> Int? {
        let inner = depth &+ 1
        guard inner <= maxDepth else {
            counters.add(.dropTunnelTooDeep)
            return nil
        }
        if !current.tunnelled {
            current.tunnelled = true
            counters.add(.tunnelledPackets)
        }
        return inner
    }

    /// Counts snaplen truncation once per frame.
    mutating func noteTruncated(counters: inout Counters) {
        guard !current.truncated else { return }
        current.truncated = true
        counters.add(.dropSnaplenTruncated)
    }

    /// Most VLAN tags accepted in front of one payload.
    static let maxVLANTags = 8

    /// Dispatches on an ethertype (Ethernet, Linux cooked, GRE protocol type, Geneve protocol
    /// type), first stripping any 802.1Q / 802.1ad / QinQ tags.
    mutating func decodeEthertype<Sink: SegmentSink>(
        _ ethertype: UInt16, _ payload: ByteCursor, depth: Int,
        counters: inout Counters, sink: inout Sink
    ) {
        var type = ethertype
        var cursor = payload
        var tags = 0
        while type == 0x8100 || type == 0x88a8 || type == 0x9100 {
            tags += 1
            guard tags <= Self.maxVLANTags else {
                counters.add(.dropTunnelTooDeep)
                return
            }
            guard let inner = cursor.peekUInt16(2), cursor.skip(4) else {
                counters.add(.dropLinkTruncated)
                return
            }
            type = inner
        }
        switch type {
        case 0x0800:
            decodeIPv4(cursor, depth: depth, counters: &counters, sink: &sink)
        case 0x86dd:
            decodeIPv6(cursor, depth: depth, counters: &counters, sink: &sink)
        case 0x8864:
            decodePPPoESession(cursor, depth: depth, counters: &counters, sink: &sink)
        case 0x8847, 0x8848:
            decodeMPLS(cursor, depth: depth, counters: &counters, sink: &sink)
        default:
            counters.add(.ignoredNonIP)
        }
    }

    /// IPv4 or IPv6 chosen by the version nibble (raw IP links, MPLS, GTP-U).
    mutating func decodeIPByVersion<Sink: SegmentSink>(
        _ packet: ByteCursor, depth: Int, counters: inout Counters, sink: inout Sink
    ) {
        guard let first = packet.peek() else {
            counters.add(.dropLinkTruncated)
            return
        }
        switch first >> 4 {
        case 4: decodeIPv4(packet, depth: depth, counters: &counters, sink: &sink)
        case 6: decodeIPv6(packet, depth: depth, counters: &counters, sink: &sink)
        default: counters.add(.ignoredNonIP)
        }
    }

    /// Dispatches an IP payload on its protocol number (IPv4 protocol / IPv6 next header).
    mutating func decodeTransport<Sink: SegmentSink>(
        _ transport: UInt8, _ payload: ByteCursor, source: IPAddress, destination: IPAddress,
        depth: Int, counters: inout Counters, sink: inout Sink
    ) {
        switch transport {
        case 6:
            decodeTCP(payload, source: source, destination: destination, counters: &counters, sink: &sink)
        case 17:
            decodeUDP(payload, depth: depth, counters: &counters, sink: &sink)
        case 4:
            guard let inner = enterEncapsulation(from: depth, counters: &counters) else { return }
            decodeIPv4(payload, depth: inner, counters: &counters, sink: &sink)
        case 41:
            guard let inner = enterEncapsulation(from: depth, counters: &counters) else { return }
            decodeIPv6(payload, depth: inner, counters: &counters, sink: &sink)
        case 47:
            decodeGRE(payload, depth: depth, counters: &counters, sink: &sink)
        default:
            counters.add(.ignoredOtherTransport)
        }
    }

    /// Continues decoding a reassembled IP datagram's transport payload, held in `datagram`.
    mutating func decodeReassembled<Sink: SegmentSink>(
        _ datagram: [UInt8], transport: UInt8, source: IPAddress, destination: IPAddress,
        depth: Int, counters: inout Counters, sink: inout Sink
    ) {
        let payload = ByteCursor(datagram.span)
        decodeTransport(transport, payload, source: source, destination: destination,
                        depth: depth, counters: &counters, sink: &sink)
    }
}
