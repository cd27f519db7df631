import Sniffer
import Testing
import Wire

@Suite("Packet decoder: hostile frames")
struct HostileFrameTests {
    static let fixtureNames = [
        "ethernet", "vlan", "qinq", "sll", "sll2", "null", "loop", "raw", "raw-dlt12", "ipv4-link", "ipv6-link",
        "ppp", "ppp-serial", "pppoe", "mpls", "mpls-pw-ethernet", "gre", "gre-erspan2", "gre-erspan3", "pptp",
        "vxlan", "geneve", "gtpu", "ipip", "6in4", "teredo", "ipv4-options", "ipv6-ext-chain", "ipv4-fragments",
        "ipv6-fragments", "overlapping-fragments", "tunnel-deep", "not-tcp",
    ]

    static let linkTypes: [LinkType] = [
        .null, .ethernet, .ppp, .raw, .rawOpenBSD, .pppSerial, .linktypeRaw, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2,
    ]

    static func allFrames() throws -> [(LinkType, [UInt8])] {
        try fixtureNames.flatMap { name in
            let file = try DecodePcapFile.fixture(name)
            return file.records.map { (file.linkType, $0.bytes) }
        }
    }

    @Test func everyPrefixOfEveryFrameIsSafe() throws {
        let limits = DecoderLimits(fragmentMemcap: 256 * 1024)
        var run = DecodeRun(limits: limits)
        var frames = 0
        for (linkType, bytes) in try Self.allFrames() {
            for length in 0...bytes.count {
                run.feed(Array(bytes.prefix(length)), linkType: linkType)
                frames += 1
            }
            #expect(run.decoder.fragmentBytesHeld <= limits.fragmentMemcap)
        }
        #expect(frames > 10_000)
        // Every full frame was among them, so segments came out; cut ones were counted.
        #expect(run.counters[.tcpSegments] > 0)
        #expect(run.counters[.dropSnaplenTruncated] > 0)
    }

    @Test func randomMutationsAreSafe() throws {
        let frames = try Self.allFrames()
        let limits = DecoderLimits(fragmentMemcap: 128 * 1024, maxFragmentTrains: 64)
        var run = DecodeRun(limits: limits)
        var random = DecodeTestRandom(state: 0x9e37_79b9_7f4a_7c15)
        for round in 0..<20_000 {
            let (fixtureLink, original) = frames[random.below(frames.count)]
            var bytes = original
            // A few bytes replaced, sometimes with boundary values that stress length fields.
            for _ in 0...random.below(6) where !bytes.isEmpty {
                let value: UInt8 = switch random.below(4) {
                case 0: 0x00
                case 1: 0xff
                default: UInt8(truncatingIfNeeded: random.next())
                }
                bytes[random.below(bytes.count)] = value
            }
            if random.below(4) == 0 { bytes = Array(bytes.prefix(random.below(bytes.count + 1))) }
            if random.below(8) == 0 {
                bytes += (0..<random.below(64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            }
            let linkType = random.below(10) == 0 ? Self.linkTypes[random.below(Self.linkTypes.count)] : fixtureLink
            run.feed(bytes, linkType: linkType, at: Timestamp(seconds: Int64(round / 100)))
            #expect(run.decoder.fragmentBytesHeld <= limits.fragmentMemcap)
        }
        run.decoder.expireFragments(now: Timestamp(seconds: 1_000_000), counters: &run.counters)
        #expect(run.decoder.fragmentBytesHeld == 0)
    }

    @Test func randomBytesOnEveryLinkTypeAreSafe() {
        var run = DecodeRun()
        var random = DecodeTestRandom(state: 42)
        for _ in 0..<5_000 {
            let bytes = (0..<random.below(200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            run.feed(bytes, linkType: Self.linkTypes[random.below(Self.linkTypes.count)])
        }
        #expect(run.decoder.fragmentBytesHeld <= DecoderLimits().fragmentMemcap)
    }

    @Test func absurdLimitsDoNotTrap() throws {
        let file = try DecodePcapFile.fixture("ipv4-fragments")
        for limits in [
            DecoderLimits(maxTunnelDepth: -1, fragmentTimeoutSeconds: -5, fragmentMemcap: -1, maxFragmentTrains: -1),
            DecoderLimits(maxTunnelDepth: .max, fragmentTimeoutSeconds: .infinity, fragmentMemcap: .max, maxFragmentTrains: .max),
            DecoderLimits(fragmentTimeoutSeconds: .nan, fragmentMemcap: 0, maxFragmentTrains: 0),
        ] {
            var run = DecodeRun(limits: limits)
            run.feed(file)
            run.decoder.expireFragments(now: Timestamp(nanoseconds: .max), counters: &run.counters)
            run.decoder.expireFragments(now: Timestamp(nanoseconds: .min), counters: &run.counters)
            #expect(run.decoder.fragmentBytesHeld <= max(limits.fragmentMemcap, 0))
        }
    }

    @Test func gtpExtensionHeaderChainsAreBounded() {
        // G-PDU with E set and extension headers that each point to another, 40 of them.
        var gtp: [UInt8] = [0x34, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x85]
        for _ in 0..<40 { gtp += [0x01, 0x00, 0x00, 0x85] }
        gtp += DecodePacketBuilder.ipv4(protocol: 6, payload: DecodePacketBuilder.tcp())
        let length = gtp.count - 8
        gtp[2] = UInt8(length >> 8)
        gtp[3] = UInt8(length & 0xff)
        let udpLength = gtp.count + 8
        let udp: [UInt8] = [0x08, 0x68, 0x08, 0x68, UInt8(udpLength >> 8), UInt8(udpLength & 0xff), 0, 0] + gtp
        var run = DecodeRun()
        run.feed(DecodePacketBuilder.ipv4(protocol: 17, payload: udp), linkType: .ipv4)
        #expect(run.counters[.udpDatagrams] == 1)
        #expect(run.counters[.tunnelledPackets] == 0)  // not accepted as GTP-U: plain UDP
        #expect(run.sink.segments.isEmpty)
    }

    @Test func ipv6ExtensionChainsAreBounded() {
        var packet: [UInt8] = [0x60, 0, 0, 0, 0, 0, 60, 64] + [UInt8](repeating: 0, count: 32)
        for _ in 0..<40 { packet += [60, 0, 1, 4, 0, 0, 0, 0] }  // destination options, each → another
        packet += DecodePacketBuilder.tcp()
        let payloadLength = packet.count - 40
        packet[4] = UInt8(payloadLength >> 8)
        packet[5] = UInt8(payloadLength & 0xff)
        var run = DecodeRun()
        run.feed(packet, linkType: .ipv6)
        #expect(run.counters[.dropIPv6Malformed] == 1)
        #expect(run.sink.segments.isEmpty)
    }
}
