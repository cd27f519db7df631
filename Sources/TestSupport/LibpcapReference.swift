import CPcap
import Sniffer
import Wire

/// libpcap's offline reader, kept for tests only (the product reads files with
/// `CaptureFileReader`): the reference that reader is compared with, packet by packet.
public enum LibpcapReference {
    public struct Packet: Equatable, Sendable, CustomStringConvertible {
        public var bytes: [UInt8]
        public var originalLength: Int
        public var time: Timestamp
        public var linkType: LinkType

        public init(bytes: [UInt8], originalLength: Int, time: Timestamp, linkType: LinkType) {
            self.bytes = bytes
            self.originalLength = originalLength
            self.time = time
            self.linkType = linkType
        }

        public var description: String {
            "\(linkType) t=\(time.nanoseconds) len=\(originalLength) caplen=\(bytes.count)"
        }
    }

    public struct Result: Sendable {
        public var packets: [Packet]
        /// libpcap's error when it stopped before the end of the file; nil when it read it all.
        public var error: String?
    }

    /// Every packet libpcap reads from `path` (nanosecond timestamps), or nil with libpcap's
    /// message when it cannot open the file at all.
    public static func read(path: String) -> (result: Result?, openError: String?) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        // unsafe: libpcap writes at most PCAP_ERRBUF_SIZE bytes into the buffer.
        let opened = unsafe errorBuffer.withUnsafeMutableBufferPointer { buffer in
            unsafe pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), buffer.baseAddress)
        }
        guard let handle = unsafe opened else {
            // unsafe: libpcap wrote a NUL-terminated message into the buffer.
            let message = unsafe errorBuffer.withUnsafeBufferPointer { unsafe String(cString: $0.baseAddress!) }
            return (nil, message)
        }
        defer { unsafe pcap_close(handle) }
        let linkType = LinkType(rawValue: unsafe pcap_datalink(handle))
        var result = Result(packets: [], error: nil)
        while true {
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            switch unsafe pcap_next_ex(handle, &header, &data) {
            case 1:
                guard let header = unsafe header, let data = unsafe data else { continue }
                // unsafe: libpcap keeps `data` valid for `caplen` bytes until the next pcap_next_ex.
                let record = unsafe header.pointee
                let bytes = unsafe withBorrowedBytes(data, count: Int(record.caplen)) { [UInt8](copying: $0) }
                result.packets.append(Packet(
                    bytes: bytes, originalLength: Int(record.len),
                    time: Timestamp(seconds: Int64(record.ts.tv_sec), nanoseconds: Int64(record.ts.tv_usec)),
                    linkType: linkType))
            case PCAP_ERROR_BREAK:
                return (result, nil)
            default:
                // unsafe: pcap_geterr returns the handle's NUL-terminated message.
                result.error = unsafe String(cString: pcap_geterr(handle))
                return (result, nil)
            }
        }
    }
}
