import Wire

/// A classic pcap file's 24-byte header, and how its packet records are to be read
/// (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/, and libpcap's sf-pcap.c for the
/// old variants it still reads).
public struct PcapHeader: Sendable, Equatable {
    public var byteOrder: CaptureByteOrder
    public var resolution: Resolution
    public var versionMajor: UInt16
    public var versionMinor: UInt16
    /// The snapshot length as written (0 in some files: unlimited).
    public var snapshotLength: UInt32
    public var linkType: LinkType
    /// The FCS bits of the link-type field (bit 26 "FCS present", bits 28-31 its length in
    /// 16-bit words). The FCS is left on each frame: IP's total length ends the datagram before
    /// it, as it does Ethernet padding.
    public var fcsBits: UInt32
    /// 16 for every pcap but Alexey Kuznetzov's patched format (24: ifindex, protocol, type).
    var recordHeaderSize = 16
    var lengths = LengthOrder.capturedFirst

    public enum Resolution: Sendable, Equatable { case microseconds, nanoseconds }

    /// Files before version 2.3 (and DG/UX's 543.0) wrote the wire length before the captured
    /// length; some 2.3 files did too, which shows as captured > wire.
    enum LengthOrder: Sendable, Equatable { case capturedFirst, wireFirst, eitherFirst }

    static let headerSize = 24
    private static let microsecondMagic: UInt32 = 0xa1b2_c3d4
    static let nanosecondMagic: UInt32 = 0xa1b2_3c4d
    private static let kuznetzovMagic: UInt32 = 0xa1b2_cd34

    /// nil when the file does not start with a pcap magic number; throws when it does but the
    /// header cannot be read.
    init?(_ bytes: ByteCursor) throws(CaptureFormatError) {
        var cursor = bytes
        guard let written = cursor.peekUInt32() else { return nil }
        let magics = [Self.microsecondMagic, Self.nanosecondMagic, Self.kuznetzovMagic]
        let magic: UInt32
        if magics.contains(written) {
            byteOrder = .big
            magic = written
        } else if magics.contains(written.byteSwapped) {
            byteOrder = .little
            magic = written.byteSwapped
        } else {
            return nil
        }
        guard cursor.remaining >= Self.headerSize else {
            throw CaptureFormatError(
                "the pcap file header is cut short (\(cursor.remaining) of \(Self.headerSize) bytes)")
        }
        _ = cursor.skip(4)
        versionMajor = cursor.readUInt16(byteOrder)!
        versionMinor = cursor.readUInt16(byteOrder)!
        _ = cursor.skip(8)  // thiszone, sigfigs: always 0 in practice, ignored by every reader
        snapshotLength = cursor.readUInt32(byteOrder)!
        let linkField = cursor.readUInt32(byteOrder)!
        // Bits 0-25 name the link type (libpcap's LT_LINKTYPE); 26-31 are the FCS bits.
        linkType = LinkType(fileValue: linkField & 0x03ff_ffff)
        fcsBits = linkField & 0xfc00_0000
        resolution = magic == Self.nanosecondMagic ? .nanoseconds : .microseconds

        guard versionMajor >= 2 else {
            throw CaptureFormatError("archaic pcap format version \(versionMajor).\(versionMinor)")
        }
        switch (versionMajor, versionMinor) {
        case (2, 0..<3), (543, 0): lengths = .wireFirst
        case (2, 3): lengths = .eitherFirst
        case (2, 4): lengths = .capturedFirst
        default: throw CaptureFormatError("unsupported pcap format version \(versionMajor).\(versionMinor)")
        }
        if magic == Self.kuznetzovMagic { recordHeaderSize = 24 }
    }

    /// The interface every record of the file was captured on.
    var interface: CaptureInterface {
        var interface = CaptureInterface(linkType: linkType, snapshotLength: snapshotLength)
        interface.resolution = resolution == .nanoseconds ? .nanoseconds : .microseconds
        // Kuznetzov's patched libpcap captured cooked frames and added a 14-byte fake Ethernet
        // header beyond the snapshot length (libpcap allows for it the same way).
        if recordHeaderSize == 24, linkType == .ethernet { interface.snapshotLength += 14 }
        return interface
    }
}
