import Sniffer
import Wire

/// One packet as the reader handed it over, copied so a test can keep it.
struct ReadPacket: Equatable, CustomStringConvertible {
    var bytes: [UInt8]
    var originalLength: Int
    var time: Timestamp
    var linkType: LinkType

    var description: String { "\(linkType) \(time.nanoseconds) \(originalLength) \(bytes.count)B" }

    init(bytes: [UInt8], originalLength: Int, time: Timestamp, linkType: LinkType) {
        self.bytes = bytes
        self.originalLength = originalLength
        self.time = time
        self.linkType = linkType
    }

    /// What a `CapturePacketHandler` was handed, copied.
    init(_ frame: Span<UInt8>, _ originalLength: Int, _ time: Timestamp, _ linkType: LinkType) {
        self.init(bytes: [UInt8](copying: frame), originalLength: originalLength, time: time, linkType: linkType)
    }
}

/// Reads a capture held in memory, the way `PcapFile` reads a mapped one.
func readCapture(_ bytes: [UInt8]) throws(CaptureFormatError) -> (packets: [ReadPacket], report: CaptureReadReport) {
    var packets: [ReadPacket] = []
    let report = try CaptureFileReader.read(bytes.span) { data, length, time, linkType in
        packets.append(ReadPacket(data, length, time, linkType))
    }
    return (packets, report)
}

/// The reason of a truncated outcome ("" when reading completed).
func truncationReason(_ report: CaptureReadReport) -> String {
    if case .truncated(let reason) = report.outcome { return reason }
    return ""
}
