import Sniffer
import Testing
import Wire

@Suite("Packet decoder: link layers and IP")
struct LinkLayerTests {
    static let cases: [DecodeFixtureCase] = [
        DecodeFixtureCase(file: "ethernet", expected: [
            .v4(40001, "ethernet"), .v6(40002, "ethernet-ipv6"),
            DecodeExpectedSegment(sourcePort: 40003, ipv6: false, payload: Array("hi".utf8)),  // padding trimmed
        ]),
        DecodeFixtureCase(file: "vlan", expected: [.v4(40010, "vlan")]),
        DecodeFixtureCase(file: "qinq", expected: [.v4(40020, "qinq-88a8"), .v6(40021, "qinq-9100")]),
        DecodeFixtureCase(file: "sll", expected: [.v4(40030, "sll"), .v6(40031, "sll-ipv6")]),
        DecodeFixtureCase(file: "sll2", expected: [.v4(40040, "sll2"), .v6(40041, "sll2-ipv6")]),
        DecodeFixtureCase(file: "null", expected: [.v4(40050, "null"), .v6(40051, "null-ipv6-le"), .v6(40052, "null-ipv6-be")]),
        DecodeFixtureCase(file: "loop", expected: [.v4(40060, "loop"), .v6(40061, "loop-ipv6")]),
        DecodeFixtureCase(file: "raw", expected: [.v4(40070, "raw-v4"), .v6(40071, "raw-v6")]),
        DecodeFixtureCase(file: "raw-dlt12", expected: [.v4(40072, "raw12-v4"), .v6(40073, "raw12-v6")]),
        DecodeFixtureCase(file: "ipv4-link", expected: [.v4(40074, "linktype-ipv4")]),
        DecodeFixtureCase(file: "ipv6-link", expected: [.v6(40075, "linktype-ipv6")]),
        DecodeFixtureCase(file: "ppp", expected: [.v4(40080, "ppp"), .v6(40081, "ppp-ipv6-no-address"), .v4(40082, "ppp-pfc")]),
        DecodeFixtureCase(file: "ppp-serial", expected: [.v4(40085, "ppp-serial"), .v6(40086, "cisco-hdlc-ipv6")]),
        DecodeFixtureCase(file: "ipv4-options", expected: [.v4(40300, "ipv4-options")]),
        DecodeFixtureCase(file: "ipv6-ext-chain", expected: [.v6(40310, "ipv6-ext-chain")]),
    ]

    @Test("fixture decodes to its segments", arguments: cases)
    func fixture(_ fixture: DecodeFixtureCase) throws {
        try checkDecodeFixture(fixture)
    }

    @Test func pcapReaderHandlesBothByteOrdersAndNanoseconds() throws {
        let little = try DecodePcapFile.fixture("raw")
        let big = try DecodePcapFile.fixture("loop")
        let nano = try DecodePcapFile.fixture("raw-dlt12")
        #expect(little.linkType == .linktypeRaw)
        #expect(big.linkType == .loop)
        #expect(nano.linkType == .raw)
        #expect(big.records.first?.time == Timestamp(seconds: 1_700_000_000))
        #expect(nano.records.last?.time == Timestamp(seconds: 1_700_000_001))
    }

    @Test func segmentTimeIsTheFrameTime() throws {
        var run = DecodeRun()
        run.feed(try DecodePcapFile.fixture("ethernet"))
        #expect(run.sink.segments.map(\.time.seconds) == [1_700_000_000, 1_700_000_001, 1_700_000_002])
    }

    @Test func countsIPVersionsAndNonTCP() throws {
        var run = DecodeRun()
        run.feed(try DecodePcapFile.fixture("not-tcp"))
        #expect(run.dropNames.isEmpty, "\(run.dropNames)")
        #expect(run.sink.segments.isEmpty)
        #expect(run.counters[.ignoredNonIP] == 3)           // ARP, LLDP, 802.3 LLC
        #expect(run.counters[.ignoredOtherTransport] == 1)  // ICMP
        #expect(run.counters[.udpDatagrams] == 2)           // DNS; UDP to 4789 that is not VXLAN
        #expect(run.counters[.tunnelledPackets] == 0)
        #expect(run.counters[.ipv4Packets] == 3)

        var mixed = DecodeRun()
        mixed.feed(try DecodePcapFile.fixture("ethernet"))
        #expect(mixed.counters[.ipv4Packets] == 2)
        #expect(mixed.counters[.ipv6Packets] == 1)
    }

    @Test func unknownLinkTypeIsDropped() {
        var run = DecodeRun()
        run.feed([1, 2, 3, 4], linkType: LinkType(rawValue: 147))
        #expect(run.counters[.dropLinkUnsupported] == 1)
    }

    @Test func shortLinkHeadersAreTruncationDrops() {
        var run = DecodeRun()
        run.feed(Array(repeating: 0, count: 13), linkType: .ethernet)
        run.feed(Array(repeating: 0, count: 15), linkType: .linuxSLL)
        run.feed(Array(repeating: 0, count: 19), linkType: .linuxSLL2)
        run.feed([2, 0, 0], linkType: .null)
        run.feed([], linkType: .raw)
        #expect(run.counters[.dropLinkTruncated] == 5)
    }

    @Test func ipv4LengthChecks() {
        var run = DecodeRun()
        // Total length shorter than the header: malformed.
        run.feed(DecodePacketBuilder.ipv4(protocol: 6, payload: DecodePacketBuilder.tcp(), totalLength: 16), linkType: .ipv4)
        #expect(run.counters[.dropIPv4Malformed] == 1)
        // Header length below 5 words: malformed.
        var shortIHL = DecodePacketBuilder.ipv4(protocol: 6, payload: DecodePacketBuilder.tcp())
        shortIHL[0] = 0x44
        run.feed(shortIHL, linkType: .ipv4)
        #expect(run.counters[.dropIPv4Malformed] == 2)
        #expect(run.sink.segments.isEmpty)
    }

    @Test func snaplenTruncationDeliversWhatWasCaptured() throws {
        let frame = try #require(try DecodePcapFile.fixture("ethernet").records.first).bytes
        var run = DecodeRun()
        run.feed(Array(frame.dropLast(5)), linkType: .ethernet)
        #expect(run.counters[.dropSnaplenTruncated] == 1)
        #expect(run.sink.segments.first?.payload == Array(DecodeFixtureValues.payload("ethernet").dropLast(5)))
        // Cut inside the TCP header: counted once, as truncation, not as a malformed segment.
        run.feed(Array(frame.prefix(14 + 20 + 10)), linkType: .ethernet)
        #expect(run.counters[.dropSnaplenTruncated] == 2)
        #expect(run.counters[.dropTCPMalformed] == 0)
        #expect(run.sink.segments.count == 1)
    }

    @Test func tcpDataOffsetChecks() {
        var run = DecodeRun()
        run.feed(DecodePacketBuilder.ipv4(protocol: 6, payload: DecodePacketBuilder.tcp(dataOffsetWords: 4)), linkType: .ipv4)
        run.feed(DecodePacketBuilder.ipv4(protocol: 6, payload: DecodePacketBuilder.tcp(dataOffsetWords: 15)), linkType: .ipv4)
        #expect(run.counters[.dropTCPMalformed] == 2)
        run.feed(DecodePacketBuilder.ipv4(protocol: 6, payload: DecodePacketBuilder.tcp(dataOffsetWords: 6, payload: [0, 0, 0, 0, 7])),
                 linkType: .ipv4)
        #expect(run.sink.segments.map(\.payload) == [[7]])
    }

    @Test func gatewaySuperPacketWithZeroLengthUsesTheCapture() {
        // GRO / BIG TCP: a captured IPv4 packet over 64 KiB carries total length 0.
        let payload = [UInt8](repeating: 0x61, count: 70_000)
        var run = DecodeRun()
        run.feed(DecodePacketBuilder.ipv4(protocol: 6, payload: DecodePacketBuilder.tcp(payload: payload), totalLength: 0),
                 linkType: .ipv4)
        #expect(run.sink.segments.first?.payload.count == 70_000)
        #expect(run.dropNames.isEmpty)
    }
}
