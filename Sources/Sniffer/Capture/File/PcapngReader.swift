import Wire

/// Reads a pcapng file block by block (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/).
///
/// Every section has its own byte order and its own interfaces, and every interface its own
/// link type, snapshot length and timestamp unit, so a file captured on Ethernet and on a raw-IP
/// tunnel at once (`dumpcap -i eth0 -i wg0`) reads whole: each packet goes out with the link
/// type of the interface it names.
///
/// Damage is handled at two levels. A block whose total length is wrong (too small, not a
/// multiple of 4, past the end of the file, beyond `maxBlockLength`, or different at its two
/// ends) means the framing is lost: reading stops there, with the reason. A well-framed block
/// whose contents lie (a captured length past its end, an unknown interface) is dropped and
/// counted, and reading goes on with the next block.
struct PcapngReader {
    static let sectionHeaderType: UInt32 = 0x0a0d_0d0a
    static let interfaceDescriptionType: UInt32 = 1
    static let packetType: UInt32 = 2  // obsolete, still written by old tools
    static let simplePacketType: UInt32 = 3
    static let enhancedPacketType: UInt32 = 6
    static let byteOrderMagic: UInt32 = 0x1a2b_3c4d

    /// The largest block accepted, as libpcap's (INITIAL_MAX_BLOCKSIZE): a packet block holds at
    /// most 256 KiB of packet plus options, so anything near this is some other block (a
    /// decryption-secrets block with a big key log) or a length that lost sync. Nothing is
    /// allocated per block — the file is mapped — so the bound is about recognising damage.
    static let maxBlockLength = 16 << 20

    /// Interfaces one section may describe. dumpcap writes one per `-i`; a few thousand covers
    /// any real capture, and keeps a hostile file of tiny IDBs from growing memory (each one
    /// costs ~40 bytes here). Descriptions beyond it are counted, their packets dropped.
    static let maxInterfacesPerSection = 4096

    private var order = CaptureByteOrder.little
    private var interfaces: [CaptureInterface] = []

    static func read(_ bytes: Span<UInt8>, into report: inout CaptureReadReport, _ body: CapturePacketHandler) {
        var reader = PcapngReader()
        reader.readBlocks(bytes, into: &report, body)
    }

    private mutating func readBlocks(_ bytes: Span<UInt8>, into report: inout CaptureReadReport,
                                     _ body: CapturePacketHandler) {
        var cursor = ByteCursor(bytes)
        while !cursor.isEmpty {
            let offset = cursor.offset
            guard cursor.remaining >= 12 else {
                return stop(&report, "the file ends \(cursor.remaining) bytes into the block at offset \(offset) "
                    + "(a block is at least 12 bytes): it was cut short (still being written, or copied incompletely)")
            }
            if cursor.peekUInt32() == Self.sectionHeaderType {
                // A new section may change the byte order; its magic, 8 bytes in, says which.
                switch cursor.peekUInt32(8) {
                case Self.byteOrderMagic: order = .big
                case Self.byteOrderMagic.byteSwapped: order = .little
                case let magic?:
                    return stop(&report, "the section header block at offset \(offset) has byte-order magic "
                        + "0x\(String(magic, radix: 16)), not 0x1a2b3c4d: the file is damaged from there on")
                case nil:
                    return stop(&report, "the file ends inside the section header block at offset \(offset): "
                        + "it was cut short")
                }
            }
            let type = cursor.peekUInt32(0, order)!
            let length = Int(cursor.peekUInt32(4, order)!)
            guard length >= 12, length % 4 == 0 else {
                return stop(&report, Self.block(type, at: offset) + " has total length \(length), "
                    + (length < 12 ? "less than 12, the smallest block" : "not a multiple of 4")
                    + ": the file is damaged from there on")
            }
            guard length <= Self.maxBlockLength else {
                return stop(&report, Self.block(type, at: offset) + " has total length \(length), over the "
                    + "\(Self.maxBlockLength)-byte limit for one block: the file is damaged from there on")
            }
            guard var block = cursor.read(length) else {
                return stop(&report, "the file ends inside " + Self.block(type, at: offset) + " (\(length) bytes, "
                    + "\(cursor.remaining) left): it was cut short (still being written, or copied incompletely)")
            }
            _ = block.skip(8)
            let contents = block.read(length - 12)!
            let trailer = Int(block.readUInt32(order)!)
            guard trailer == length else {
                return stop(&report, Self.block(type, at: offset) + " has total length \(length) at its start but "
                    + "\(trailer) at its end: the file is damaged from there on")
            }
            switch type {
            case Self.sectionHeaderType:
                if let problem = startSection(contents, into: &report) {
                    return stop(&report, "the section header block at offset \(offset) \(problem)")
                }
            case Self.interfaceDescriptionType:
                describeInterface(contents, into: &report)
            case Self.enhancedPacketType:
                readPacket(contents, interfaceIDBytes: 4, into: &report, body)
            case Self.packetType:
                readPacket(contents, interfaceIDBytes: 2, into: &report, body)
            case Self.simplePacketType:
                readSimplePacket(contents, into: &report, body)
            default:
                report.skippedBlocks += 1
            }
        }
    }

    private func stop(_ report: inout CaptureReadReport, _ reason: String) {
        report.outcome = .truncated(reason)
    }

    // MARK: Blocks

    /// Returns what is wrong with the section header, if reading must stop there.
    private mutating func startSection(_ contents: ByteCursor, into report: inout CaptureReadReport) -> String? {
        var fields = contents
        guard fields.skip(4), let major = fields.readUInt16(order), let minor = fields.readUInt16(order),
              fields.skip(8) else {
            return "is \(contents.remaining + 12) bytes, too short for its fields: the file is damaged from there on"
        }
        // Minor versions only add block types (1.2 is what some writers put); a new major
        // version would change what the blocks mean.
        guard major == 1 else {
            return "is pcapng version \(major).\(minor); only version 1 can be read"
        }
        report.sections += 1
        interfaces.removeAll(keepingCapacity: true)
        return nil
    }

    private mutating func describeInterface(_ contents: ByteCursor, into report: inout CaptureReadReport) {
        report.interfaces += 1
        guard interfaces.count < Self.maxInterfacesPerSection else {
            report.drops.interfacesBeyondLimit += 1
            return
        }
        var fields = contents
        guard let linkType = fields.readUInt16(order), fields.skip(2),
              let snapshotLength = fields.readUInt32(order) else {
            interfaces.append(.unusable)
            report.drops.damagedDescriptions += 1
            return
        }
        var interface = CaptureInterface(linkType: LinkType(fileValue: UInt32(linkType)),
                                         snapshotLength: snapshotLength)
        if !readOptions(&fields, into: &interface) { report.drops.damagedDescriptions += 1 }
        interfaces.append(interface)
        report.noteLinkType(interface.linkType)
    }

    /// Reads the options that change how timestamps are read (`if_tsresol`, `if_tsoffset`);
    /// comments and the rest are passed over. False when the options run past the block.
    private func readOptions(_ options: inout ByteCursor, into interface: inout CaptureInterface) -> Bool {
        while !options.isEmpty {
            guard let code = options.readUInt16(order), let length = options.readUInt16(order),
                  var value = options.read(Int(length)), options.skip((4 - Int(length) % 4) % 4) else { return false }
            switch code {
            case 0:  // opt_endofopt
                return true
            case 9 where length == 1:  // if_tsresol
                interface.resolution = TimestampResolution(optionByte: value.readUInt8()!)
            case 14 where length == 8:  // if_tsoffset
                interface.offsetSeconds = Int64(bitPattern: value.readUInt64(order)!)
            default:
                break
            }
        }
        return true
    }

    /// An Enhanced Packet Block (32-bit interface id) or an obsolete Packet Block (16-bit
    /// interface id, 16-bit drop count): the fields then agree.
    private func readPacket(_ contents: ByteCursor, interfaceIDBytes: Int, into report: inout CaptureReadReport,
                            _ body: CapturePacketHandler) {
        var fields = contents
        let interfaceID: Int
        if interfaceIDBytes == 4 {
            guard let id = fields.readUInt32(order) else { report.drops.malformedPackets += 1; return }
            interfaceID = Int(id)
        } else {
            guard let id = fields.readUInt16(order), fields.skip(2) else { report.drops.malformedPackets += 1; return }
            interfaceID = Int(id)
        }
        guard let high = fields.readUInt32(order), let low = fields.readUInt32(order),
              let captured = fields.readUInt32(order), let wire = fields.readUInt32(order),
              let packet = fields.read(Int(captured)) else {
            report.drops.malformedPackets += 1
            return
        }
        guard let interface = usableInterface(interfaceID, into: &report) else { return }
        let time = interface.resolution.timestamp(units: UInt64(high) << 32 | UInt64(low),
                                                  offsetSeconds: interface.offsetSeconds)
        report.packets += 1
        body(packet.bytes, Int(wire), time, interface.linkType)
    }

    /// A Simple Packet Block: interface 0, no timestamp (libpcap reports time 0, moved by the
    /// interface's offset), captured length implied by the block and the snapshot length.
    private func readSimplePacket(_ contents: ByteCursor, into report: inout CaptureReadReport,
                                  _ body: CapturePacketHandler) {
        var fields = contents
        guard let wire = fields.readUInt32(order) else { report.drops.malformedPackets += 1; return }
        guard let interface = usableInterface(0, into: &report) else { return }
        let captured = min(Int(wire), interface.snapshotLength, fields.remaining)
        let packet = fields.read(captured)!
        report.packets += 1
        body(packet.bytes, Int(wire), interface.resolution.timestamp(units: 0, offsetSeconds: interface.offsetSeconds),
             interface.linkType)
    }

    /// The interface a packet block names, or nil (and the drop counted) when there is none.
    private func usableInterface(_ id: Int, into report: inout CaptureReadReport) -> CaptureInterface? {
        guard id < interfaces.count else {
            report.drops.unknownInterface += 1
            return nil
        }
        let interface = interfaces[id]
        guard interface.isUsable else {
            report.drops.malformedPackets += 1
            return nil
        }
        return interface
    }

    /// "the enhanced packet block at offset 1234", for messages.
    static func block(_ type: UInt32, at offset: Int) -> String {
        "the \(name(ofBlockType: type)) at offset \(offset)"
    }

    static func name(ofBlockType type: UInt32) -> String {
        switch type {
        case sectionHeaderType: "section header block"
        case interfaceDescriptionType: "interface description block"
        case packetType: "packet block"
        case simplePacketType: "simple packet block"
        case 4: "name resolution block"
        case 5: "interface statistics block"
        case enhancedPacketType: "enhanced packet block"
        case 0x0a: "decryption secrets block"
        default: "block of type 0x\(String(type, radix: 16))"
        }
    }
}
