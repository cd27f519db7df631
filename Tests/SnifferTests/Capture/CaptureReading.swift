import Sniffer
import Wire

/// One packet as the reader handed it over, copied so a test can keep it.
struct ReadPacket: Equatable, CustomStringConvertible {
    var bytes: [UInt8]
    var originalLength: Int
    var time: Timestamp
    var linkType: LinkType

    var description: String { "\(linkType) \(time.nanoseconds) \(originalLength) \(bytes.count)B" }
}

/// Reads a capture held in memory, the way `PcapFile` reads a mapped one.
func readCapture(_ bytes: [UInt8]) throws(CaptureFormatError) -> (packets: [ReadPacket], report: CaptureReadReport) {
    var packets: [ReadPacket] = []
    let report = try CaptureFileReader.read(bytes.span) { data, length, time, linkType in
        packets.append(ReadPacket(bytes: Array(copying: data), originalLength: length, time: time, linkType: linkType))
    }
    return (packets, report)
}

/// The reason of a truncated outcome ("" when reading completed).
func truncationReason(_ report: CaptureReadReport) -> String {
    if case .truncated(let reason) = report.outcome { return reason }
    return ""
}
