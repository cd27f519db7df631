import CPcap
import Wire

/// A capture file (pcap or pcapng) read through libpcap.
///
/// This and `withBorrowedBytes` are the bridge from libpcap's C buffers to safe spans; the
/// pcap handle never leaves this type.
@safe
public final class PcapFile {
    public let path: String
    public let linkType: LinkType
    private let handle: OpaquePointer

    /// How reading ended.
    public enum Outcome: Equatable, Sendable {
        case complete
        /// The file ended inside a packet or was otherwise damaged; what came before was read.
        case truncated(String)
    }

    public struct OpenError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot read capture \(path): \(reason)" }
    }

    public init(path: String) throws(OpenError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let opened = unsafe errorBuffer.withUnsafeMutableBufferPointer { buffer in
            unsafe pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), buffer.baseAddress)
        }
        guard let handle = unsafe opened else {
            let reason = unsafe errorBuffer.withUnsafeBufferPointer { unsafe String(cString: $0.baseAddress!) }
            throw OpenError(path: path, reason: reason)
        }
        self.path = path
        unsafe self.handle = handle
        linkType = LinkType(rawValue: unsafe pcap_datalink(handle))
    }

    deinit { unsafe pcap_close(handle) }

    /// Calls `body` with each packet's captured bytes (valid only during the call), its length
    /// on the wire and its timestamp.
    public func forEachPacket(_ body: (Span<UInt8>, Int, Timestamp) -> Void) -> Outcome {
        while true {
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let status = unsafe pcap_next_ex(handle, &header, &data)
            switch status {
            case 1:
                guard let header = unsafe header, let data = unsafe data else { continue }
                // unsafe: libpcap keeps `data` valid for `caplen` bytes until the next pcap_next_ex.
                let record = unsafe header.pointee
                let time = Timestamp(seconds: Int64(record.ts.tv_sec), nanoseconds: Int64(record.ts.tv_usec))
                unsafe withBorrowedBytes(data, count: Int(record.caplen)) { span in
                    body(span, Int(record.len), time)
                }
            case PCAP_ERROR_BREAK:  // end of file
                return .complete
            default:
                return .truncated(unsafe String(cString: pcap_geterr(handle)))
            }
        }
    }
}
