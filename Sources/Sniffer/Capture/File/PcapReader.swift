import Wire

/// Reads a classic pcap file's packet records, after its header.
enum PcapReader {
    static func read(_ bytes: Span<UInt8>, header: PcapHeader, into report: inout CaptureReadReport,
                     _ body: CapturePacketHandler) {
        let interface = header.interface
        report.interfaces = 1
        report.noteLinkType(interface.linkType)
        let order = header.byteOrder
        var cursor = ByteCursor(bytes)
        _ = cursor.skip(PcapHeader.headerSize)
        while !cursor.isEmpty {
            let offset = cursor.offset
            guard var record = cursor.read(header.recordHeaderSize) else {
                report.outcome = .truncated("the file ends \(cursor.remaining) bytes into the header of the packet "
                    + "record at offset \(offset), which is \(header.recordHeaderSize) bytes: it was cut short "
                    + "(still being written, or copied incompletely)")
                return
            }
            let seconds = record.readUInt32(order)!
            let fraction = record.readUInt32(order)!
            var captured = record.readUInt32(order)!
            var wire = record.readUInt32(order)!
            if header.lengths == .wireFirst || (header.lengths == .eitherFirst && captured > wire) {
                swap(&captured, &wire)
            }
            guard captured <= LinkType.maximumSnapshotLength else {
                report.outcome = .truncated("the packet record at offset \(offset) claims \(captured) captured "
                    + "bytes, more than any capture holds (\(LinkType.maximumSnapshotLength)): the file is damaged "
                    + "from there on")
                return
            }
            guard var packet = cursor.read(Int(captured)) else {
                report.outcome = .truncated("the file ends inside the packet at offset \(offset) (\(captured) "
                    + "captured bytes, \(cursor.remaining) left): it was cut short (still being written, or copied "
                    + "incompletely)")
                return
            }
            if packet.remaining > interface.snapshotLength {
                packet.truncate(to: interface.snapshotLength)
                report.cutToSnapshotLength += 1
            }
            // The fields are signed 32-bit, as libpcap reads them (times before 1970 exist).
            let nanoseconds = header.resolution == .nanoseconds
                ? Int64(Int32(bitPattern: fraction)) : Int64(Int32(bitPattern: fraction)) * 1000
            let time = Timestamp(seconds: Int64(Int32(bitPattern: seconds)), nanoseconds: nanoseconds)
            report.packets += 1
            body(packet.bytes, Int(wire), time, interface.linkType)
        }
    }
}
