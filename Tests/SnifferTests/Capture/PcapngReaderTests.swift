import Sniffer
import Testing

/// pcapng files written byte by byte: what each block and option means, and what damage does.
@Suite struct PcapngReaderTests {
    static let frameA: [UInt8] = Array(0..<60)
    static let frameB: [UInt8] = Array(100..<141)  // 41 bytes: the block pads it to 44

    /// Ethernet on interface 0 and raw IP on interface 1, as `dumpcap -i eth0 -i wg0` writes.
    static func twoInterfaces(order: CaptureFileBuilder.Order) -> [UInt8] {
        var file = CaptureFileBuilder(order: order)
        file.sectionHeader(options: [.comment("dumpcap -i eth0 -i wg0"), .end])
        file.interface(linkType: 1, snaplen: 262_144, options: [Option(code: 2, value: Array("eth0".utf8)), .end])
        file.interface(linkType: 101, snaplen: 262_144, options: [.tsresol(9)])
        file.enhancedPacket(interface: 0, timestamp: 1_700_000_000_123_456, data: frameA, originalLength: 1514)
        file.enhancedPacket(interface: 1, timestamp: 1_700_000_001_000_000_007, data: frameB,
                            options: [.comment("a packet comment")])
        return file.bytes
    }
    typealias Option = CaptureFileBuilder.Option

    @Test(arguments: [CaptureFileBuilder.Order.little, .big])
    func everyInterfaceKeepsItsOwnLinkTypeAndResolution(_ order: CaptureFileBuilder.Order) throws {
        let (packets, report) = try readCapture(Self.twoInterfaces(order: order))
        #expect(report.outcome == .complete)
        #expect(packets == [
            ReadPacket(bytes: Self.frameA, originalLength: 1514,
                       time: Timestamp(nanoseconds: 1_700_000_000_123_456_000), linkType: .ethernet),
            ReadPacket(bytes: Self.frameB, originalLength: 41, time: Timestamp(nanoseconds: 1_700_000_001_000_000_007),
                       linkType: .raw),
        ])
        #expect(report.linkTypes == [.ethernet, .raw])
        #expect(report.interfaces == 2)
        #expect(report.sections == 1)
        #expect(report.drops.isEmpty)
    }

    @Test func binaryResolutionAndOffset() throws {
        var file = CaptureFileBuilder()
        file.sectionHeader()
        // 2^-20 s units, timestamps 1000 s after the epoch plus the offset
        let tsoffset = Option(code: 14, value: [0x00, 0xf1, 0x53, 0x65, 0, 0, 0, 0])
        file.interface(linkType: 1, options: [.tsresol(0x80 | 20), tsoffset, .end])
        let units: UInt64 = 1000 << 20 | 1 << 19 | 1  // 1000.5 s and one unit (953.67 ns → 953)
        file.enhancedPacket(interface: 0, timestamp: units, data: Self.frameA)
        let (packets, report) = try readCapture(file.bytes)
        #expect(report.outcome == .complete)
        let offset: Int64 = 0x6553_f100  // little-endian bytes of the option
        #expect(packets.map(\.time) == [Timestamp(seconds: 1000 + offset, nanoseconds: 500_000_000 + 953)])
    }

    @Test func resolutionsAtTheEdgesAreExact() throws {
        for (byte, units, expected) in [
            (UInt8(0), UInt64(5), Timestamp(seconds: 5)),                          // whole seconds
            (3, 1_234_567, Timestamp(seconds: 1234, nanoseconds: 567_000_000)),    // milliseconds
            (12, 1_000_000_000_001_999, Timestamp(seconds: 1000, nanoseconds: 1)), // picoseconds, rounded down
            (19, UInt64.max, Timestamp(seconds: 1, nanoseconds: 844_674_407)),
            (30, UInt64.max, Timestamp(nanoseconds: 0)),                            // 10^-30: under a nanosecond
            (0x80, 7, Timestamp(seconds: 7)),                                       // 2^0
            (0x80 | 63, UInt64.max, Timestamp(seconds: 1, nanoseconds: 999_999_999)),
            (0x80 | 64, UInt64.max, Timestamp(nanoseconds: 999_999_999)),
            (0xff, UInt64.max, Timestamp(nanoseconds: 0)),
        ] as [(UInt8, UInt64, Timestamp)] {
            var file = CaptureFileBuilder()
            file.sectionHeader()
            file.interface(linkType: 1, options: [.tsresol(byte)])
            file.enhancedPacket(interface: 0, timestamp: units, data: [1])
            let (packets, _) = try readCapture(file.bytes)
            #expect(packets.map(\.time) == [expected], "if_tsresol 0x\(String(byte, radix: 16))")
        }
    }

    @Test func severalSectionsEachWithItsOwnByteOrderAndInterfaces() throws {
        var first = CaptureFileBuilder(order: .little)
        first.sectionHeader()
        first.interface(linkType: 1)
        first.enhancedPacket(interface: 0, timestamp: 1_000_000, data: Self.frameA)
        var second = CaptureFileBuilder(order: .big)
        second.sectionHeader()
        second.interface(linkType: 276, options: [.tsresol(9)])  // LINUX_SLL2
        second.interface(linkType: 1)
        second.enhancedPacket(interface: 1, timestamp: 2_000_000, data: Self.frameA)
        second.enhancedPacket(interface: 0, timestamp: 3_000_000_000, data: Self.frameB)
        let (packets, report) = try readCapture(first.bytes + second.bytes)
        #expect(report.outcome == .complete)
        #expect(packets.map(\.linkType) == [.ethernet, .ethernet, .linuxSLL2])
        #expect(packets.map(\.time) == [Timestamp(seconds: 1), Timestamp(seconds: 2), Timestamp(seconds: 3)])
        #expect(report.sections == 2)
        #expect(report.interfaces == 3)
        #expect(report.linkTypes == [.ethernet, .linuxSLL2])
    }

    @Test func interfacesDoNotCarryOverToTheNextSection() throws {
        var file = CaptureFileBuilder()
        file.sectionHeader()
        file.interface(linkType: 1)
        file.sectionHeader()
        file.enhancedPacket(interface: 0, timestamp: 0, data: Self.frameA)
        let (packets, report) = try readCapture(file.bytes)
        #expect(packets.isEmpty)
        #expect(report.drops.unknownInterface == 1)
        #expect(report.outcome == .complete)
    }

    @Test func blocksWithNothingToReadAreSkipped() throws {
        var file = CaptureFileBuilder()
        file.sectionHeader(options: [.comment("section comment")])
        file.interface(linkType: 1, options: [.comment("interface comment"), .end])
        file.block(4) { b in  // name resolution: one IPv4 record, then end of records
            b.u16(1); b.u16(8); b.raw([10, 0, 0, 1]); b.raw(Array("a.b\0".utf8)); b.u16(0); b.u16(0)
        }
        file.block(5, options: [.comment("statistics")]) { b in b.u32(0); b.u32(0); b.u32(0) }  // interface statistics
        file.block(0x0a) { b in b.u32(0x544c_534b); b.u32(5); b.raw(Array("keys\n".utf8)) }  // decryption secrets
        file.block(0x0000_0bad) { b in b.u32(32473); b.raw([1, 2, 3]) }  // custom, copiable
        file.block(0x4000_0bad) { b in b.u32(32473) }  // custom, not copiable
        file.block(0x1234_5678) { b in b.raw([9, 9, 9, 9]) }  // unknown
        file.enhancedPacket(interface: 0, timestamp: 0, data: Self.frameA, options: [.comment("x"), .end])
        let (packets, report) = try readCapture(file.bytes)
        #expect(report.outcome == .complete)
        #expect(packets.map(\.bytes) == [Self.frameA])
        #expect(report.skippedBlocks == 6)
    }

    @Test func simpleAndObsoletePacketBlocks() throws {
        var file = CaptureFileBuilder()
        file.sectionHeader()
        file.interface(linkType: 1, snaplen: 50, options: [Option(code: 14, value: [10, 0, 0, 0, 0, 0, 0, 0])])
        file.simplePacket(data: Array(Self.frameA.prefix(50)), originalLength: 1514)  // cut to the snaplen
        file.simplePacket(data: Array(Self.frameB.prefix(20)))
        file.obsoletePacket(interface: 0, timestamp: 3_000_000, data: Self.frameB)
        let (packets, report) = try readCapture(file.bytes)
        #expect(report.outcome == .complete)
        #expect(packets.map(\.bytes) == [Array(Self.frameA.prefix(50)), Array(Self.frameB.prefix(20)), Self.frameB])
        #expect(packets.map(\.originalLength) == [1514, 20, 41])
        // No timestamp in a simple packet block: time 0, moved by if_tsoffset.
        #expect(packets.map(\.time) == [Timestamp(seconds: 10), Timestamp(seconds: 10), Timestamp(seconds: 13)])
    }

    @Test func packetsOnUnknownInterfacesAreDroppedAndCounted() throws {
        var file = CaptureFileBuilder()
        file.sectionHeader()
        file.enhancedPacket(interface: 0, timestamp: 0, data: Self.frameA)  // before any interface
        file.simplePacket(data: Self.frameA)
        file.interface(linkType: 1)
        file.enhancedPacket(interface: 7, timestamp: 0, data: Self.frameA)
        file.enhancedPacket(interface: UInt32.max, timestamp: 0, data: Self.frameA)
        file.enhancedPacket(interface: 0, timestamp: 0, data: Self.frameB)
        let (packets, report) = try readCapture(file.bytes)
        #expect(report.outcome == .complete)
        #expect(packets.map(\.bytes) == [Self.frameB])
        #expect(report.drops.unknownInterface == 4)
    }

    @Test func contentsThatLieAreDroppedButReadingGoesOn() throws {
        var file = CaptureFileBuilder()
        file.sectionHeader()
        file.interface(linkType: 1)
        file.enhancedPacket(interface: 0, timestamp: 0, data: Self.frameA, capturedLength: 1000)  // past its block
        file.block(6) { b in b.u32(0); b.u32(0) }  // too short for its fields
        file.block(1) { b in b.u16(1) }  // an interface too short to say its snaplen: takes number 1
        file.interface(linkType: 101, options: [Option(code: 9, value: [9, 9])])  // if_tsresol of length 2: ignored
        file.interface(linkType: 113, options: [Option(code: 2, value: Array(repeating: 65, count: 300))])  // long name
        file.enhancedPacket(interface: 1, timestamp: 0, data: Self.frameA)
        file.enhancedPacket(interface: 2, timestamp: 5_000_000, data: Self.frameA)
        file.enhancedPacket(interface: 0, timestamp: 0, data: Self.frameB)
        let (packets, report) = try readCapture(file.bytes)
        #expect(report.outcome == .complete)
        #expect(packets.map(\.linkType) == [.raw, .ethernet])
        #expect(packets.first?.time == Timestamp(seconds: 5))
        #expect(report.drops.malformedPackets == 3)
        #expect(report.drops.damagedDescriptions == 1)
        #expect(report.linkTypes == [.ethernet, .raw, .linuxSLL])
    }

    @Test func anOptionRunningPastItsBlockKeepsWhatCameBefore() throws {
        var file = CaptureFileBuilder()
        file.sectionHeader()
        file.block(1) { b in
            b.u16(101); b.u16(0); b.u32(0)
            b.u16(9); b.u16(1); b.raw([9, 0, 0, 0])  // if_tsresol 10^-9
            b.u16(2); b.u16(200); b.raw([65, 65, 65, 65])  // if_name claiming 200 bytes
        }
        file.enhancedPacket(interface: 0, timestamp: 1_500_000_000, data: Self.frameA)
        let (packets, report) = try readCapture(file.bytes)
        #expect(report.outcome == .complete)
        #expect(packets.map(\.time) == [Timestamp(seconds: 1, nanoseconds: 500_000_000)])
        #expect(packets.map(\.linkType) == [.raw])
        #expect(report.drops.damagedDescriptions == 1)
    }

    @Test func theInterfacesOfOneSectionAreBounded() throws {
        var file = CaptureFileBuilder()
        file.sectionHeader()
        let limit = 4096
        for _ in 0..<(limit + 2) { file.interface(linkType: 1) }
        file.enhancedPacket(interface: UInt32(limit - 1), timestamp: 0, data: Self.frameA)
        file.enhancedPacket(interface: UInt32(limit), timestamp: 0, data: Self.frameA)
        let (packets, report) = try readCapture(file.bytes)
        #expect(packets.count == 1)
        #expect(report.drops.interfacesBeyondLimit == 2)
        #expect(report.drops.unknownInterface == 1)
        #expect(report.interfaces == limit + 2)
    }

    // MARK: Damage that loses the framing: read what came before, then say where and why

    static func goodStart() -> CaptureFileBuilder {
        var file = CaptureFileBuilder()
        file.sectionHeader()
        file.interface(linkType: 1)
        file.enhancedPacket(interface: 0, timestamp: 0, data: frameA)
        return file
    }

    @Test func cutInTheMiddleOfABlock() throws {
        var file = Self.goodStart()
        let start = file.bytes.count
        file.enhancedPacket(interface: 0, timestamp: 0, data: Self.frameB)
        for cut in [start + 3, start + 11, start + 30, file.bytes.count - 1] {
            let (packets, report) = try readCapture(Array(file.bytes.prefix(cut)))
            #expect(packets.map(\.bytes) == [Self.frameA], "cut at \(cut)")
            let reason = truncationReason(report)
            #expect(reason.contains("offset \(start)"), "\(reason)")
            #expect(reason.contains("cut short"), "\(reason)")
        }
    }

    @Test func totalLengthDifferentAtTheTwoEnds() throws {
        var file = Self.goodStart()
        let start = file.bytes.count
        file.block(6, trailerLength: 99) { b in b.u32(0); b.u64(0); b.u32(1); b.u32(1); b.raw([7]) }
        file.enhancedPacket(interface: 0, timestamp: 0, data: Self.frameB)
        let (packets, report) = try readCapture(file.bytes)
        #expect(packets.map(\.bytes) == [Self.frameA])
        #expect(truncationReason(report) == "the enhanced packet block at offset \(start) has total length 36 at its "
            + "start but 99 at its end: the file is damaged from there on")
    }

    @Test(arguments: [0, 4, 8, 13, 0x7fff_fff0, 0xffff_fffc] as [UInt32])
    func impossibleTotalLengths(_ length: UInt32) throws {
        var file = Self.goodStart()
        let start = file.bytes.count
        file.block(6, totalLength: length) { b in b.raw(Array(repeating: 0, count: 32)) }
        file.enhancedPacket(interface: 0, timestamp: 0, data: Self.frameB)
        let (packets, report) = try readCapture(file.bytes)
        #expect(packets.map(\.bytes) == [Self.frameA])
        let reason = truncationReason(report)
        #expect(reason.hasPrefix("the enhanced packet block at offset \(start) has total length \(length)"),
                "\(reason)")
        #expect(reason.hasSuffix("the file is damaged from there on"))
    }

    @Test func aBlockLargerThanWhatIsLeftIsACutFile() throws {
        var file = Self.goodStart()
        let start = file.bytes.count
        file.block(6, totalLength: 1 << 20) { b in b.raw(Array(repeating: 0, count: 32)) }
        let (packets, report) = try readCapture(file.bytes)
        #expect(packets.count == 1)
        #expect(truncationReason(report) == "the file ends inside the enhanced packet block at offset \(start) "
            + "(1048576 bytes, 44 left): it was cut short (still being written, or copied incompletely)")
    }

    @Test func aSectionHeaderWithABadMagicOrVersion() throws {
        var bad = Self.goodStart()
        let start = bad.bytes.count
        bad.sectionHeader()
        bad.bytes[start + 8] = 0x99
        let (packets, report) = try readCapture(bad.bytes)
        #expect(packets.count == 1)
        #expect(truncationReason(report).hasPrefix("the section header block at offset \(start) has byte-order magic"))

        var version = Self.goodStart()
        version.block(0x0a0d_0d0a) { b in b.u32(0x1a2b_3c4d); b.u16(2); b.u16(0); b.u64(0) }
        let (_, versionReport) = try readCapture(version.bytes)
        #expect(truncationReason(versionReport).hasSuffix("is pcapng version 2.0; only version 1 can be read"))
    }

    @Test func aSectionHeaderOnlyIsAnEmptyCapture() throws {
        var file = CaptureFileBuilder()
        file.sectionHeader()
        let (packets, report) = try readCapture(file.bytes)
        #expect(packets.isEmpty)
        #expect(report.outcome == .complete)
        #expect(report.linkTypes.isEmpty)
    }
}
