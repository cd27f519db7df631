import Sniffer
import Testing
import Wire

@Suite("Packet decoder: IP fragment reassembly")
struct IPFragmentTests {
    static let big4 = (0..<3000).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
    static let big6 = (0..<3000).map { UInt8(truncatingIfNeeded: $0 * 13 + 5) }

    @Test func ipv4FragmentsOutOfOrder() throws {
        let file = try DecodePcapFile.fixture("ipv4-fragments")
        var run = DecodeRun()
        for (index, record) in file.records.enumerated() {
            run.feed(record.bytes, linkType: file.linkType, at: record.time)
            if index < file.records.count - 1 {
                #expect(run.sink.segments.isEmpty)
                #expect(run.decoder.fragmentBytesHeld > 0)
            }
        }
        #expect(run.dropNames.isEmpty, "\(run.dropNames)")
        #expect(run.counters[.ipFragments] == UInt64(file.records.count))
        #expect(run.counters[.ipDatagramsReassembled] == 1)
        #expect(run.decoder.fragmentBytesHeld == 0)
        let segment = try #require(run.sink.segments.first)
        #expect(run.sink.segments.count == 1)
        #expect(segment.header.source == DecodeFixtureValues.ipv4Source)
        #expect(segment.header.destination == DecodeFixtureValues.ipv4Destination)
        #expect(segment.header.sourcePort == 40320)
        #expect(segment.header.sequence == DecodeFixtureValues.sequence)
        #expect(segment.payload == Self.big4)
    }

    @Test func ipv6Fragments() throws {
        var run = DecodeRun()
        run.feed(try DecodePcapFile.fixture("ipv6-fragments"))
        #expect(run.dropNames.isEmpty, "\(run.dropNames)")
        #expect(run.counters[.ipDatagramsReassembled] == 1)
        let segment = try #require(run.sink.segments.first)
        #expect(segment.header.source == DecodeFixtureValues.ipv6Source)
        #expect(segment.header.sourcePort == 40330)
        #expect(segment.payload == Self.big6)
        #expect(run.decoder.fragmentBytesHeld == 0)
    }

    @Test func overlappingFragmentsKeepTheFirstCopy() throws {
        var run = DecodeRun()
        run.feed(try DecodePcapFile.fixture("overlapping-fragments"))
        #expect(run.counters[.dropFragmentOverlap] == 1)
        let segment = try #require(run.sink.segments.first)
        #expect(segment.header.sourcePort == 40340)
        #expect(segment.payload == [UInt8](repeating: 0x41, count: 40))
    }

    @Test func identicalDuplicatesAreNotConflicts() throws {
        let file = try DecodePcapFile.fixture("ipv4-fragments")
        var run = DecodeRun()
        for index in [0, 0, 1, 1, 2] + Array(3..<file.records.count) {
            run.feed(file.records[index].bytes, linkType: file.linkType)
        }
        #expect(run.dropNames.isEmpty, "\(run.dropNames)")
        #expect(run.sink.segments.map(\.payload) == [Self.big4])
    }

    @Test func unfinishedTrainsExpire() throws {
        let file = try DecodePcapFile.fixture("ipv4-fragments")
        let start = Timestamp(seconds: 1000)
        var run = DecodeRun()
        run.feed(file.records[0].bytes, linkType: file.linkType, at: start)
        run.feed(file.records[1].bytes, linkType: file.linkType, at: start.adding(seconds: 1))
        let held = run.decoder.fragmentBytesHeld
        #expect(held > 0)
        run.decoder.expireFragments(now: start.adding(seconds: 29), counters: &run.counters)
        #expect(run.decoder.fragmentBytesHeld == held)
        run.decoder.expireFragments(now: start.adding(seconds: 30.5), counters: &run.counters)
        #expect(run.counters[.dropFragmentTimeout] == 1)
        #expect(run.decoder.fragmentBytesHeld == 0)
        // The rest arrives too late: a new, incomplete train, and no segment.
        for record in file.records.dropFirst(2) {
            run.feed(record.bytes, linkType: file.linkType, at: start.adding(seconds: 31))
        }
        #expect(run.sink.segments.isEmpty)
        // Decoding expires old trains too, by capture time.
        run.feed([0x45], linkType: .ipv4, at: start.adding(seconds: 62))
        #expect(run.counters[.dropFragmentTimeout] == 2)
        #expect(run.decoder.fragmentBytesHeld == 0)
    }

    @Test func fragmentFloodStaysUnderTheMemcap() {
        let memcap = 64 * 1024
        var run = DecodeRun(limits: DecoderLimits(fragmentMemcap: memcap, maxFragmentTrains: 4096))
        let chunk = [UInt8](repeating: 0x5a, count: 1400)
        for id in 0..<2000 {
            let packet = DecodePacketBuilder.ipv4(protocol: 6, payload: chunk, identification: UInt16(id),
                                            fragmentOffset: (id % 40) * 1400, moreFragments: true)
            run.feed(packet, linkType: .ipv4)
            #expect(run.decoder.fragmentBytesHeld <= memcap)
        }
        #expect(run.counters[.dropFragmentMemcap] > 0)
        #expect(run.counters[.ipFragments] == 2000)

        // A well-formed datagram still gets through: the oldest trains make room.
        let payload = DecodePacketBuilder.tcp(sourcePort: 999, payload: [UInt8](repeating: 1, count: 1980))
        run.feed(DecodePacketBuilder.ipv4(protocol: 6, payload: Array(payload[0..<1000]), identification: 60000,
                                    fragmentOffset: 0, moreFragments: true), linkType: .ipv4)
        run.feed(DecodePacketBuilder.ipv4(protocol: 6, payload: Array(payload[1000...]), identification: 60000,
                                    fragmentOffset: 1000, moreFragments: false), linkType: .ipv4)
        #expect(run.sink.segments.map(\.header.sourcePort) == [999])
        #expect(run.decoder.fragmentBytesHeld <= memcap)
    }

    @Test func trainCountIsBounded() {
        var run = DecodeRun(limits: DecoderLimits(maxFragmentTrains: 16))
        for id in 0..<100 {
            run.feed(DecodePacketBuilder.ipv4(protocol: 17, payload: [UInt8](repeating: 0, count: 8), identification: UInt16(id),
                                        moreFragments: true), linkType: .ipv4)
        }
        #expect(run.counters[.dropFragmentMemcap] == 84)
        #expect(run.decoder.fragmentBytesHeld == 16 * 8)
    }

    @Test func malformedFragmentsAreDropped() {
        var run = DecodeRun()
        // Not the last fragment, but not a multiple of 8 bytes.
        run.feed(DecodePacketBuilder.ipv4(protocol: 6, payload: [UInt8](repeating: 0, count: 13), moreFragments: true),
                 linkType: .ipv4)
        // Past 65 535 bytes of payload.
        run.feed(DecodePacketBuilder.ipv4(protocol: 6, payload: [UInt8](repeating: 0, count: 16), identification: 2,
                                    fragmentOffset: 65528, moreFragments: false), linkType: .ipv4)
        // Two different "last" fragments for one datagram.
        run.feed(DecodePacketBuilder.ipv4(protocol: 6, payload: [UInt8](repeating: 0, count: 8), identification: 3,
                                    fragmentOffset: 800, moreFragments: false), linkType: .ipv4)
        run.feed(DecodePacketBuilder.ipv4(protocol: 6, payload: [UInt8](repeating: 0, count: 8), identification: 3,
                                    fragmentOffset: 1600, moreFragments: false), linkType: .ipv4)
        #expect(run.counters[.dropFragmentMalformed] == 3)
        #expect(run.decoder.fragmentBytesHeld == 0)
        #expect(run.sink.segments.isEmpty)
    }

    @Test func tinyFragmentsCannotExhaustTheRangeList() {
        var run = DecodeRun()
        // Every other 8-byte block of one datagram: separate runs, given up after a bound.
        for block in 0..<1000 {
            run.feed(DecodePacketBuilder.ipv4(protocol: 6, payload: [UInt8](repeating: 0, count: 8), identification: 7,
                                        fragmentOffset: block * 16, moreFragments: true), linkType: .ipv4)
        }
        #expect(run.counters[.dropFragmentMemcap] >= 1)
        #expect(run.decoder.fragmentBytesHeld <= DecoderLimits().fragmentMemcap)
    }
}
