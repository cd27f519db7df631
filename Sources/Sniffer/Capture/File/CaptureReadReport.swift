/// How reading a capture ended.
public enum CaptureOutcome: Equatable, Sendable {
    case complete
    /// The file ended inside a record or was damaged from some point on; what came before was
    /// read. The reason says where and why, for a person.
    case truncated(String)
}

/// Hands over one packet: its captured bytes (valid only during the call), its length on the
/// wire, its capture time and the link type of the interface it was captured on.
public typealias CapturePacketHandler = (Span<UInt8>, Int, Timestamp, LinkType) -> Void

/// What reading one capture found besides its packets.
public struct CaptureReadReport: Equatable, Sendable {
    public var outcome: CaptureOutcome = .complete
    /// Packets handed over.
    public var packets = 0
    /// The distinct link types of the interfaces the capture describes, first described first
    /// (a classic pcap has one; a pcapng one per kind of interface, e.g. Ethernet and raw IP
    /// for `dumpcap -i eth0 -i wg0`). At most `maxDistinctLinkTypes`.
    public var linkTypes: [LinkType] = []
    /// pcapng Section Header Blocks read (0 for classic pcap).
    public var sections = 0
    /// Interfaces described (pcapng IDBs, over all sections; 1 for classic pcap).
    public var interfaces = 0
    public var drops = CaptureDrops()
    /// Blocks passed over because they carry nothing to read here: name resolution, interface
    /// statistics, decryption secrets, custom and unknown blocks.
    public var skippedBlocks = 0
    /// Classic pcap records longer than the file's snapshot length, handed over cut to it
    /// (as libpcap does).
    public var cutToSnapshotLength = 0

    /// Bounds the list above: a file cannot make it grow past this (LINKTYPE_ values are 16
    /// bits, so a hostile file could otherwise list thousands).
    public static let maxDistinctLinkTypes = 64

    public init() {}

    mutating func noteLinkType(_ linkType: LinkType) {
        guard !linkTypes.contains(linkType), linkTypes.count < Self.maxDistinctLinkTypes else { return }
        linkTypes.append(linkType)
    }
}

/// Packets and descriptions a capture holds that could not be handed over, by reason.
public struct CaptureDrops: Equatable, Sendable {
    /// Packet blocks naming an interface their section never described (or one beyond
    /// `PcapngReader.maxInterfacesPerSection`).
    public var unknownInterface = 0
    /// Packet blocks too short for their own fields or captured length, or on an interface
    /// whose description was too short to read.
    public var malformedPackets = 0
    /// Interface descriptions beyond the per-section limit (their packets count as
    /// `unknownInterface`).
    public var interfacesBeyondLimit = 0
    /// Interface descriptions whose options could not be read whole (what came before the
    /// damage, e.g. the link type, is still used).
    public var damagedDescriptions = 0

    public init() {}

    public var packets: Int { unknownInterface + malformedPackets }
    public var isEmpty: Bool { self == CaptureDrops() }
}
