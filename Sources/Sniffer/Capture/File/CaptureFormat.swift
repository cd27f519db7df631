import Wire

/// Which of the two capture formats a file is, read from its first bytes.
public enum CaptureFormat: Sendable, Equatable {
    case pcap(PcapHeader)
    case pcapng

    /// The format of `bytes`, or why they are not a capture this reader can read.
    public static func of(_ bytes: Span<UInt8>) throws(CaptureFormatError) -> CaptureFormat {
        let cursor = ByteCursor(bytes)
        guard let magic = cursor.peekUInt32() else {
            throw CaptureFormatError(bytes.isEmpty ? "the file is empty: not a pcap or pcapng capture"
                : "the file is \(bytes.count) bytes, too short to be a pcap or pcapng capture")
        }
        if magic == PcapngReader.sectionHeaderType {
            // The block type alone is "\n\r\r\n", which a text file may start with too: a pcapng
            // is one only if its byte-order magic follows.
            guard let order = cursor.peekUInt32(8), order == PcapngReader.byteOrderMagic
                    || order == PcapngReader.byteOrderMagic.byteSwapped else {
                throw CaptureFormatError("not a pcap or pcapng capture (it starts like a pcapng section header, "
                    + "but without the byte-order magic 1a2b3c4d)")
            }
            return .pcapng
        }
        if let header = try PcapHeader(cursor) { return .pcap(header) }
        let start = (0..<min(4, bytes.count)).map { index in
            let hex = String(bytes[index], radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: " ")
        throw CaptureFormatError("not a pcap or pcapng capture (it starts with \(start), which neither format does)")
    }

    public var description: String {
        switch self {
        case .pcap: "pcap"
        case .pcapng: "pcapng"
        }
    }
}

/// The bytes are not a capture this reader can read; `reason` says why, for a person.
public struct CaptureFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
