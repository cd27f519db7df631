import Wire

/// The first frames of one flow, as captured (link layer and all): what an alert's evidence
/// pcap holds. One byte array for the frames and one small record per frame.
public struct CapturedPackets: Sendable {
    public struct Packet: Sendable, Equatable {
        public var time: Timestamp
        /// The frame's length on the wire (a frame cut by the snap length is shorter).
        public var originalLength: Int
        let start: Int
        public let count: Int
    }

    /// The link type of every kept frame (that of the first).
    public private(set) var linkType: LinkType
    public private(set) var packets: [Packet] = []
    private var bytes: [UInt8] = []
    /// Frames of the flow that were not kept (limits, memcap, another link type).
    public private(set) var framesLeftOut = 0

    public init(linkType: LinkType = .ethernet) { self.linkType = linkType }

    public var isEmpty: Bool { packets.isEmpty }
    public var capturedBytes: Int { bytes.count }

    /// The bytes of frame `index`.
    public func frame(_ index: Int) -> ArraySlice<UInt8> {
        let packet = packets[index]
        return bytes[packet.start ..< packet.start + packet.count]
    }

    /// What holding the frames costs, charged to the evidence memcap.
    var heldBytes: Int { bytes.count + packets.count * MemoryLayout<Packet>.stride }

    static func cost(ofFrame count: Int) -> Int { count + MemoryLayout<Packet>.stride }

    mutating func append(_ frame: Span<UInt8>, originalLength: Int, linkType: LinkType, at time: Timestamp) {
        if packets.isEmpty { self.linkType = linkType }
        packets.append(Packet(time: time, originalLength: max(originalLength, frame.count), start: bytes.count,
                              count: frame.count))
        bytes.append(contentsOf: frame)
    }

    mutating func leaveOut() { framesLeftOut += 1 }

    /// Bytes the buffer can hold without growing.
    var capacity: Int { bytes.capacity }

    /// Empty, keeping the buffers' capacity (for the next flow).
    mutating func removeAll() {
        packets.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
        framesLeftOut = 0
    }
}
