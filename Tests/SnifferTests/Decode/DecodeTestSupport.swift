import Foundation
import Sniffer
import Testing
import Wire

// Shared by the packet-decoder tests: a tiny classic-pcap reader (no libpcap), a sink that
// collects segments, and the values every fixture frame carries
// (scripts/make-decode-fixtures.py writes the fixtures).

/// A classic pcap file: 24-byte global header (magic gives byte order and µs/ns timestamps,
/// link type at offset 20), then 16-byte record headers, each followed by its captured bytes.
struct DecodePcapFile {
    struct Record {
        var time: Timestamp
        var bytes: [UInt8]
    }

    enum Failure: Error { case badMagic, truncated }

    var linkType: LinkType
    var records: [Record] = []

    init(_ data: [UInt8]) throws {
        guard data.count >= 24 else { throw Failure.truncated }
        let magic = Self.uint32(data, 0, bigEndian: false)
        let bigEndian: Bool
        let nanoseconds: Bool
        switch magic {
        case 0xa1b2_c3d4: (bigEndian, nanoseconds) = (false, false)
        case 0xd4c3_b2a1: (bigEndian, nanoseconds) = (true, false)
        case 0xa1b2_3c4d: (bigEndian, nanoseconds) = (false, true)
        case 0x4d3c_b2a1: (bigEndian, nanoseconds) = (true, true)
        default: throw Failure.badMagic
        }
        linkType = LinkType(rawValue: Int32(bitPattern: Self.uint32(data, 20, bigEndian: bigEndian) & 0x0fff_ffff))
        var offset = 24
        while offset < data.count {
            guard data.count - offset >= 16 else { throw Failure.truncated }
            let seconds = Int64(Self.uint32(data, offset, bigEndian: bigEndian))
            let fraction = Int64(Self.uint32(data, offset + 4, bigEndian: bigEndian))
            let captured = Int(Self.uint32(data, offset + 8, bigEndian: bigEndian))
            offset += 16
            guard data.count - offset >= captured else { throw Failure.truncated }
            records.append(Record(time: Timestamp(seconds: seconds, nanoseconds: nanoseconds ? fraction : fraction * 1000),
                                  bytes: Array(data[offset..<offset + captured])))
            offset += captured
        }
    }

    private static func uint32(_ data: [UInt8], _ at: Int, bigEndian: Bool) -> UInt32 {
        let bytes = (0..<4).map { UInt32(data[at + $0]) }
        return bigEndian
            ? bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]
            : bytes[3] << 24 | bytes[2] << 16 | bytes[1] << 8 | bytes[0]
    }

    /// `Tests/SnifferTests/Fixtures/decode/<name>.pcap`, found from this source file's path.
    static func fixture(_ name: String, filePath: String = #filePath) throws -> DecodePcapFile {
        let url = URL(fileURLWithPath: filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/decode/\(name).pcap")
        return try DecodePcapFile([UInt8](Data(contentsOf: url)))
    }
}

/// Keeps a copy of every segment handed to it.
struct CollectingSegmentSink: SegmentSink {
    struct Segment {
        var header: TCPSegmentHeader
        var payload: [UInt8]
        var time: Timestamp
    }

    var segments: [Segment] = []

    mutating func tcpSegment(_ header: TCPSegmentHeader, payload: Span<UInt8>, at time: Timestamp) {
        segments.append(Segment(header: header, payload: [UInt8](copying: payload), time: time))
    }
}

/// Decodes frames with one decoder, collecting segments and counters.
struct DecodeRun {
    var decoder: PacketDecoder
    var counters = Counters()
    var sink = CollectingSegmentSink()

    init(limits: DecoderLimits = DecoderLimits()) {
        decoder = PacketDecoder(limits: limits)
    }

    mutating func feed(_ bytes: [UInt8], linkType: LinkType, at time: Timestamp = .zero) {
        decoder.decode(bytes.span, linkType: linkType, at: time, counters: &counters, into: &sink)
    }

    mutating func feed(_ file: DecodePcapFile) {
        for record in file.records { feed(record.bytes, linkType: file.linkType, at: record.time) }
    }

    /// Non-zero drop counters, by name (for readable expectation failures).
    var dropNames: [String: UInt64] {
        Dictionary(uniqueKeysWithValues: counters.drops.map { ($0.0.name, $0.1) })
    }
}

/// What each fixture's TCP segments carry.
enum DecodeFixtureValues {
    static let ipv4Source = IPAddress(ipv4: 0x0a01_0101)       // 10.1.1.1
    static let ipv4Destination = IPAddress(ipv4: 0x0a02_0202)  // 10.2.2.2
    static let ipv6Source = IPAddress(high: 0x2001_0db8_0000_0000, low: 1)       // 2001:db8::1
    static let ipv6Destination = IPAddress(high: 0x2001_0db8_0000_0000, low: 2)  // 2001:db8::2
    static let destinationPort: UInt16 = 443
    static let sequence: UInt32 = 0x0102_0304
    static let acknowledgment: UInt32 = 0x0a0b_0c0d
    static let window: UInt16 = 8192

    static func payload(_ name: String) -> [UInt8] { Array("mitmwatch decode fixture: \(name)".utf8) }
}

/// One expected segment: source port, address family and payload.
struct DecodeExpectedSegment: Sendable, CustomStringConvertible {
    var sourcePort: UInt16
    var ipv6: Bool
    var payload: [UInt8]

    static func v4(_ port: UInt16, _ name: String) -> DecodeExpectedSegment {
        DecodeExpectedSegment(sourcePort: port, ipv6: false, payload: DecodeFixtureValues.payload(name))
    }

    static func v6(_ port: UInt16, _ name: String) -> DecodeExpectedSegment {
        DecodeExpectedSegment(sourcePort: port, ipv6: true, payload: DecodeFixtureValues.payload(name))
    }

    var description: String { "\(ipv6 ? "v6" : "v4"):\(sourcePort)" }
}

/// A fixture file and the segments it must decode to, in order.
struct DecodeFixtureCase: Sendable, CustomStringConvertible {
    var file: String
    var expected: [DecodeExpectedSegment]
    /// Frames that go through at least one encapsulation.
    var tunnelled: Int = 0

    var description: String { file }
}

/// Decodes `fixture` and checks every segment against `expected`, and that nothing was dropped.
func checkDecodeFixture(_ fixture: DecodeFixtureCase, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let file = try DecodePcapFile.fixture(fixture.file)
    var run = DecodeRun()
    run.feed(file)
    #expect(run.dropNames.isEmpty, "drops: \(run.dropNames)", sourceLocation: sourceLocation)
    #expect(run.counters[.tcpSegments] == UInt64(fixture.expected.count), sourceLocation: sourceLocation)
    #expect(run.counters[.tunnelledPackets] == UInt64(fixture.tunnelled), sourceLocation: sourceLocation)
    #expect(run.sink.segments.count == fixture.expected.count, sourceLocation: sourceLocation)
    for (segment, expected) in zip(run.sink.segments, fixture.expected) {
        let header = segment.header
        #expect(header.source == (expected.ipv6 ? DecodeFixtureValues.ipv6Source : DecodeFixtureValues.ipv4Source),
                "\(expected)", sourceLocation: sourceLocation)
        #expect(header.destination == (expected.ipv6 ? DecodeFixtureValues.ipv6Destination : DecodeFixtureValues.ipv4Destination),
                "\(expected)", sourceLocation: sourceLocation)
        #expect(header.sourcePort == expected.sourcePort, sourceLocation: sourceLocation)
        #expect(header.destinationPort == DecodeFixtureValues.destinationPort, sourceLocation: sourceLocation)
        #expect(header.sequence == DecodeFixtureValues.sequence, sourceLocation: sourceLocation)
        #expect(header.acknowledgment == DecodeFixtureValues.acknowledgment, sourceLocation: sourceLocation)
        #expect(header.flags == [.psh, .ack], sourceLocation: sourceLocation)
        #expect(header.window == DecodeFixtureValues.window, sourceLocation: sourceLocation)
        #expect(segment.payload == expected.payload,
                "\(expected): \(String(decoding: segment.payload, as: UTF8.self))", sourceLocation: sourceLocation)
    }
    #expect(run.decoder.fragmentBytesHeld == 0, sourceLocation: sourceLocation)
}

/// Builders for hand-made packets (hostile and limit tests).
enum DecodePacketBuilder {
    static func ipv4(protocol proto: UInt8, payload: [UInt8], identification: UInt16 = 1,
                     fragmentOffset: Int = 0, moreFragments: Bool = false,
                     source: UInt32 = 0x0a01_0101, destination: UInt32 = 0x0a02_0202,
                     totalLength: Int? = nil) -> [UInt8] {
        let total = totalLength ?? 20 + payload.count
        let fragmentField = UInt16(fragmentOffset / 8) | (moreFragments ? 0x2000 : 0)
        var bytes: [UInt8] = [0x45, 0, UInt8(total >> 8 & 0xff), UInt8(total & 0xff),
                              UInt8(identification >> 8), UInt8(identification & 0xff),
                              UInt8(fragmentField >> 8), UInt8(fragmentField & 0xff), 64, proto, 0, 0]
        for address in [source, destination] {
            bytes += [UInt8(address >> 24), UInt8(address >> 16 & 0xff), UInt8(address >> 8 & 0xff), UInt8(address & 0xff)]
        }
        return bytes + payload
    }

    static func tcp(sourcePort: UInt16 = 1234, destinationPort: UInt16 = 443, sequence: UInt32 = 1,
                    dataOffsetWords: UInt8 = 5, payload: [UInt8] = []) -> [UInt8] {
        [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xff),
         UInt8(sequence >> 24), UInt8(sequence >> 16 & 0xff), UInt8(sequence >> 8 & 0xff), UInt8(sequence & 0xff),
         0, 0, 0, 0, dataOffsetWords << 4, 0x18, 0x20, 0x00, 0, 0, 0, 0] + payload
    }

    static func ethernet(type: UInt16, payload: [UInt8]) -> [UInt8] {
        [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, UInt8(type >> 8), UInt8(type & 0xff)] + payload
    }
}

/// xorshift64*: a fixed-seed generator, so mutation tests are reproducible.
struct DecodeTestRandom {
    var state: UInt64

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_f491_4f6c_dd1d
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
}
