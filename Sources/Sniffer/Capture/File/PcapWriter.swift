/// Writes frames as a classic pcap file (nanosecond resolution, little-endian): what an
/// evidence bundle's `handshake.pcap` is, readable by `mitmwatch read`, tcpdump and Wireshark.
public enum PcapWriter {
    /// The whole file for `packets`.
    public static func file(_ packets: CapturedPackets) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(PcapHeader.headerSize + packets.capturedBytes + packets.packets.count * recordHeaderSize)
        put(PcapHeader.nanosecondMagic, into: &out)
        put(UInt16(2), into: &out)
        put(UInt16(4), into: &out)
        put(UInt32(0), into: &out)  // thiszone
        put(UInt32(0), into: &out)  // sigfigs
        put(UInt32(LinkType.maximumSnapshotLength), into: &out)
        put(packets.linkType.fileValue, into: &out)
        for index in packets.packets.indices {
            let packet = packets.packets[index]
            let nanoseconds = max(packet.time.nanoseconds, 0)
            put(UInt32(truncatingIfNeeded: nanoseconds / 1_000_000_000), into: &out)
            put(UInt32(truncatingIfNeeded: nanoseconds % 1_000_000_000), into: &out)
            put(UInt32(truncatingIfNeeded: packet.count), into: &out)
            put(UInt32(truncatingIfNeeded: packet.originalLength), into: &out)
            out.append(contentsOf: packets.frame(index))
        }
        return out
    }

    static let recordHeaderSize = 16

    private static func put<T: FixedWidthInteger>(_ value: T, into out: inout [UInt8]) {
        var value = value.littleEndian
        for _ in 0 ..< MemoryLayout<T>.size {
            out.append(UInt8(truncatingIfNeeded: value))
            value >>= 8
        }
    }
}
