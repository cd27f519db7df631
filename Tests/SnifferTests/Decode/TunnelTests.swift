import Sniffer
import Testing
import Wire

@Suite("Packet decoder: encapsulations and tunnels")
struct TunnelTests {
    static let cases: [DecodeFixtureCase] = [
        DecodeFixtureCase(file: "pppoe", expected: [.v4(40100, "pppoe"), .v6(40101, "pppoe-ipv6")], tunnelled: 2),
        DecodeFixtureCase(file: "mpls", expected: [.v4(40110, "mpls"), .v6(40111, "mpls-ipv6")], tunnelled: 2),
        DecodeFixtureCase(file: "mpls-pw-ethernet", expected: [.v4(40120, "mpls-pw")], tunnelled: 1),
        DecodeFixtureCase(file: "gre", expected: [
            .v4(40130, "gre"), .v6(40131, "gre-ckey-seq-ipv6"), .v4(40132, "gre-teb"), .v4(40133, "gre-mpls"),
            .v4(40134, "gre-over-ipv6"),
        ], tunnelled: 5),
        DecodeFixtureCase(file: "gre-erspan2", expected: [.v4(40140, "erspan2"), .v4(40141, "erspan1")], tunnelled: 2),
        DecodeFixtureCase(file: "gre-erspan3", expected: [.v4(40150, "erspan3"), .v6(40151, "erspan3-platform")], tunnelled: 2),
        DecodeFixtureCase(file: "pptp", expected: [.v4(40160, "pptp"), .v6(40161, "pptp-ack-hdlc")], tunnelled: 2),
        DecodeFixtureCase(file: "vxlan", expected: [.v4(40170, "vxlan"), .v6(40171, "vxlan-8472")], tunnelled: 2),
        DecodeFixtureCase(file: "geneve", expected: [.v4(40180, "geneve"), .v6(40181, "geneve-ipv6")], tunnelled: 2),
        DecodeFixtureCase(file: "gtpu", expected: [.v4(40190, "gtpu"), .v6(40191, "gtpu-ext-ipv6")], tunnelled: 2),
        DecodeFixtureCase(file: "ipip", expected: [.v4(40200, "ipip")], tunnelled: 1),
        DecodeFixtureCase(file: "6in4", expected: [.v6(40210, "6in4")], tunnelled: 1),
        DecodeFixtureCase(file: "teredo", expected: [
            .v6(40220, "teredo-origin"), .v6(40221, "teredo-auth-origin"), .v6(40222, "teredo-plain"),
        ], tunnelled: 3),
    ]

    @Test("tunnelled fixture decodes to its innermost segments", arguments: cases)
    func fixture(_ fixture: DecodeFixtureCase) throws {
        try checkDecodeFixture(fixture)
    }

    @Test func tunnelCarriersAreCounted() throws {
        var run = DecodeRun()
        run.feed(try DecodePcapFile.fixture("vxlan"))
        #expect(run.counters[.udpDatagrams] == 2)
        #expect(run.counters[.ipv4Packets] == 3)  // two outer, one inner
        #expect(run.counters[.ipv6Packets] == 1)
    }

    @Test func nestingBeyondTheLimitIsDropped() throws {
        let file = try DecodePcapFile.fixture("tunnel-deep")  // 20 encapsulations
        var limited = DecodeRun()
        limited.feed(file)
        #expect(limited.counters[.dropTunnelTooDeep] == 1)
        #expect(limited.sink.segments.isEmpty)

        var generous = DecodeRun(limits: DecoderLimits(maxTunnelDepth: 20))
        generous.feed(file)
        #expect(generous.dropNames.isEmpty, "\(generous.dropNames)")
        #expect(generous.sink.segments.map(\.payload) == [DecodeFixtureValues.payload("deep")])
        #expect(generous.counters[.tunnelledPackets] == 1)

        var tight = DecodeRun(limits: DecoderLimits(maxTunnelDepth: 19))
        tight.feed(file)
        #expect(tight.counters[.dropTunnelTooDeep] == 1)
        #expect(tight.sink.segments.isEmpty)
    }

    @Test func hostileNestingStopsAtTheCeilingEvenWithoutALimit() {
        var packet = DecodePacketBuilder.ipv4(protocol: 6, payload: DecodePacketBuilder.tcp())
        for _ in 0..<500 { packet = DecodePacketBuilder.ipv4(protocol: 4, payload: packet, totalLength: 0) }
        var run = DecodeRun(limits: DecoderLimits(maxTunnelDepth: .max))
        run.feed(packet, linkType: .ipv4)
        // Total lengths of 0 are malformed below 64 KiB: the outermost header is rejected...
        #expect(run.counters[.dropIPv4Malformed] == 1)
        // ...so build it with honest lengths instead, as far as 16 bits allow.
        packet = DecodePacketBuilder.ipv4(protocol: 6, payload: DecodePacketBuilder.tcp())
        for _ in 0..<500 { packet = DecodePacketBuilder.ipv4(protocol: 4, payload: packet) }
        run.feed(packet, linkType: .ipv4)
        #expect(run.counters[.dropTunnelTooDeep] == 1)
        #expect(run.sink.segments.isEmpty)
    }

    @Test func vlanAndLabelFloodsAreBounded() {
        var tags: [UInt8] = []
        for _ in 0..<100 { tags += [0x00, 0x2a, 0x81, 0x00] }
        var run = DecodeRun()
        run.feed(DecodePacketBuilder.ethernet(type: 0x8100, payload: tags + [0x00, 0x2a, 0x08, 0x00]), linkType: .ethernet)
        #expect(run.counters[.dropTunnelTooDeep] == 1)

        let labels = [UInt8](repeating: 0, count: 400)  // no bottom-of-stack bit anywhere
        run.feed(DecodePacketBuilder.ethernet(type: 0x8847, payload: labels), linkType: .ethernet)
        #expect(run.counters[.dropTunnelTooDeep] == 2)
    }

    @Test func invalidTunnelPayloadIsPlainUDP() throws {
        // GTP-U port, but an echo request (message type 1): plain UDP, no drop.
        let udp: [UInt8] = [0x08, 0x68, 0x08, 0x68, 0x00, 0x14, 0, 0] + [0x32, 0x01, 0x00, 0x04, 0, 0, 0, 0, 0, 1, 0, 0]
        var run = DecodeRun()
        run.feed(DecodePacketBuilder.ipv4(protocol: 17, payload: udp), linkType: .ipv4)
        // Teredo port with something that is not IPv6.
        let teredo: [UInt8] = [0x0d, 0xd8, 0x9c, 0x40, 0x00, 0x14, 0, 0] + [UInt8](repeating: 0x45, count: 12)
        run.feed(DecodePacketBuilder.ipv4(protocol: 17, payload: teredo), linkType: .ipv4)
        #expect(run.counters[.udpDatagrams] == 2)
        #expect(run.counters[.tunnelledPackets] == 0)
        #expect(run.dropNames.isEmpty, "\(run.dropNames)")
    }

    @Test func greVersionsAndRoutingAreChecked() {
        var run = DecodeRun()
        let inner = DecodePacketBuilder.ipv4(protocol: 6, payload: DecodePacketBuilder.tcp())
        run.feed(DecodePacketBuilder.ipv4(protocol: 47, payload: [0x40, 0x00, 0x08, 0x00, 0, 0, 0, 0] + inner), linkType: .ipv4)
        run.feed(DecodePacketBuilder.ipv4(protocol: 47, payload: [0x00, 0x02, 0x08, 0x00] + inner), linkType: .ipv4)
        run.feed(DecodePacketBuilder.ipv4(protocol: 47, payload: [0x00, 0x00]), linkType: .ipv4)
        #expect(run.counters[.dropTunnelMalformed] == 3)
        #expect(run.sink.segments.isEmpty)
    }
}
