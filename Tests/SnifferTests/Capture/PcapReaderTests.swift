import Sniffer
import Testing

/// Classic pcap files written byte by byte: both byte orders, both resolutions, the old
/// variants libpcap still reads, and damage.
@Suite struct PcapReaderTests {
    static let frame: [UInt8] = Array(0..<64)

    @Test(arguments: [CaptureFileBuilder.Order.little, .big], [false, true])
    func bothByteOrdersAndResolutions(_ order: CaptureFileBuilder.Order, nanoseconds: Bool) throws {
        var file = CaptureFileBuilder(order: order)
        file.pcapHeader(nanoseconds: nanoseconds, linkType: 1)
        file.pcapRecord(seconds: 1_700_000_000, fraction: 123_456, data: Self.frame, originalLength: 1514)
        file.pcapRecord(seconds: 1_700_000_001, fraction: 999_999, data: [])
        let (packets, report) = try readCapture(file.bytes)
        #expect(report.outcome == .complete)
        let scale: Int64 = nanoseconds ? 1 : 1000
        #expect(packets == [
            ReadPacket(bytes: Self.frame, originalLength: 1514,
                       time: Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456 * scale), linkType: .ethernet),
            ReadPacket(bytes: [], originalLength: 0,
                       time: Timestamp(seconds: 1_700_000_001, nanoseconds: 999_999 * scale), linkType: .ethernet),
        ])
        #expect(report.linkTypes == [.ethernet])
        #expect(report.interfaces == 1)
    }

    @Test func timesBefore1970AreSignedAsLibpcapReadsThem() throws {
        var file = CaptureFileBuilder()
        file.pcapHeader()
        file.pcapRecord(seconds: UInt32(bitPattern: -86_400), fraction: 500_000, data: Self.frame)
        let (packets, _) = try readCapture(file.bytes)
        #expect(packets.map(\.time) == [Timestamp(seconds: -86_400, nanoseconds: 500_000_000)])
    }

    @Test func theFCSBitsOfTheLinkTypeFieldAreMaskedOff() throws {
        var file = CaptureFileBuilder()
        file.pcapHeader(linkType: 0x1400_0000 | 1)  // FCS present, 2 words (4 bytes): Ethernet
        file.pcapRecord(seconds: 0, fraction: 0, data: Self.frame)
        var raw = CaptureFileBuilder(order: .big)
        raw.pcapHeader(linkType: 101)  // LINKTYPE_RAW is DLT_RAW, as libpcap reports it
        let (packets, _) = try readCapture(file.bytes)
        #expect(packets.map(\.linkType) == [.ethernet])
        let (_, rawReport) = try readCapture(raw.bytes)
        #expect(rawReport.linkTypes == [.raw])
        guard case .pcap(let header) = try CaptureFormat.of(file.bytes.span) else { Issue.record("not pcap"); return }
        #expect(header.fcsBits == 0x1400_0000)
    }

    @Test func recordsLongerThanTheSnapshotLengthAreCutToIt() throws {
        var file = CaptureFileBuilder()
        file.pcapHeader(snaplen: 16)
        file.pcapRecord(seconds: 0, fraction: 0, data: Self.frame)  // 64 bytes in a 16-byte capture
        file.pcapRecord(seconds: 1, fraction: 0, data: Array(Self.frame.prefix(10)))
        let (packets, report) = try readCapture(file.bytes)
        #expect(report.outcome == .complete)
        #expect(packets.map(\.bytes) == [Array(Self.frame.prefix(16)), Array(Self.frame.prefix(10))])
        #expect(packets.map(\.originalLength) == [64, 10])
        #expect(report.cutToSnapshotLength == 1)
    }

    @Test func oldVersionsWroteTheLengthsTheOtherWayRound() throws {
        var file = CaptureFileBuilder()
        file.pcapHeader(major: 2, minor: 2)
        file.u32(0); file.u32(0); file.u32(1514); file.u32(64); file.raw(Self.frame)  // wire length first
        let (packets, report) = try readCapture(file.bytes)
        #expect(report.outcome == .complete)
        #expect(packets.map(\.originalLength) == [1514])
        #expect(packets.map(\.bytes) == [Self.frame])
    }

    @Test func cutInsideARecordHeaderOrItsPacket() throws {
        var file = CaptureFileBuilder()
        file.pcapHeader()
        file.pcapRecord(seconds: 0, fraction: 0, data: Self.frame)
        let second = file.bytes.count
        file.pcapRecord(seconds: 1, fraction: 0, data: Self.frame)
        let (inHeader, headerReport) = try readCapture(Array(file.bytes.prefix(second + 10)))
        #expect(inHeader.count == 1)
        #expect(truncationReason(headerReport) == "the file ends 10 bytes into the header of the packet record at "
            + "offset \(second), which is 16 bytes: it was cut short (still being written, or copied incompletely)")
        let (inPacket, packetReport) = try readCapture(Array(file.bytes.prefix(second + 16 + 63)))
        #expect(inPacket.count == 1)
        #expect(truncationReason(packetReport) == "the file ends inside the packet at offset \(second) (64 captured "
            + "bytes, 63 left): it was cut short (still being written, or copied incompletely)")
    }

    @Test func anAbsurdCapturedLengthIsDamage() throws {
        var file = CaptureFileBuilder()
        file.pcapHeader()
        file.pcapRecord(seconds: 0, fraction: 0, data: Self.frame)
        let second = file.bytes.count
        file.pcapRecord(seconds: 0, fraction: 0, data: Self.frame, capturedLength: 0x8000_0000)
        let (packets, report) = try readCapture(file.bytes)
        #expect(packets.count == 1)
        #expect(truncationReason(report) == "the packet record at offset \(second) claims 2147483648 captured bytes, "
            + "more than any capture holds (262144): the file is damaged from there on")
    }

    // MARK: Not a capture

    @Test func whatIsNotACaptureSaysSo() {
        #expect(throws: CaptureFormatError("the file is empty: not a pcap or pcapng capture")) {
            try readCapture([])
        }
        #expect(throws: CaptureFormatError("the file is 3 bytes, too short to be a pcap or pcapng capture")) {
            try readCapture([0xd4, 0xc3, 0xb2])
        }
        #expect(throws: CaptureFormatError("not a pcap or pcapng capture (it starts with 74 68 69 73, which neither "
            + "format does)")) {
            try readCapture(Array("this is not a capture".utf8))
        }
        #expect(throws: CaptureFormatError("the pcap file header is cut short (10 of 24 bytes)")) {
            try readCapture([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0])
        }
        #expect(throws: CaptureFormatError("not a pcap or pcapng capture (it starts like a pcapng section header, "
            + "but without the byte-order magic 1a2b3c4d)")) {
            try readCapture(Array("\n\r\r\nHello, this is text\n".utf8))
        }
        var future = CaptureFileBuilder()
        future.pcapHeader(major: 3, minor: 0)
        #expect(throws: CaptureFormatError("unsupported pcap format version 3.0")) { try readCapture(future.bytes) }
    }

    @Test func aHeaderAloneIsAnEmptyCapture() throws {
        var file = CaptureFileBuilder()
        file.pcapHeader(linkType: 113)
        let (packets, report) = try readCapture(file.bytes)
        #expect(packets.isEmpty)
        #expect(report.outcome == .complete)
        #expect(report.linkTypes == [.linuxSLL])
    }
}
