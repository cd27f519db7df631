import CPcap
import Wire

/// A live capture on one interface through libpcap: immediate mode (packets are delivered as
/// they arrive, not in batches), nonblocking, with a selectable file descriptor so one thread can
/// poll several interfaces and a signal descriptor together.
@safe
public final class LiveCapture: PacketSource {
    public let interface: String
    public let linkType: LinkType
    private let handle: OpaquePointer

    public struct Settings: Sendable, Equatable {
        public var snaplen: Int32 = 65535
        public var bufferSize: Int32 = 64 << 20
        public var promiscuous = true
        public var filter: String = "tcp or (vlan and tcp)"
        public init() {}
    }

    public typealias OpenError = CaptureOpenError

    public init(interface: String, settings: Settings) throws(OpenError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let created = unsafe errorBuffer.withUnsafeMutableBufferPointer { unsafe pcap_create(interface, $0.baseAddress) }
        guard let handle = unsafe created else {
            throw OpenError(interface: interface, reason: Self.text(errorBuffer), isMissingInterface: false)
        }
        // unsafe: `handle` is a live pcap_t owned by this object until deinit (or closed below on failure).
        _ = unsafe pcap_set_snaplen(handle, settings.snaplen)
        _ = unsafe pcap_set_promisc(handle, settings.promiscuous ? 1 : 0)
        _ = unsafe pcap_set_immediate_mode(handle, 1)
        _ = unsafe pcap_set_buffer_size(handle, settings.bufferSize)
        _ = unsafe pcap_set_timeout(handle, 100)
        let status = unsafe pcap_activate(handle)
        if status < 0 {
            let reason = unsafe String(cString: pcap_geterr(handle))
            unsafe pcap_close(handle)
            throw OpenError(interface: interface, reason: reason,
                            isMissingInterface: status == PCAP_ERROR_NO_SUCH_DEVICE || status == PCAP_ERROR_IFACE_NOT_UP)
        }
        var program = unsafe bpf_program()
        guard unsafe pcap_compile(handle, &program, settings.filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            let reason = unsafe String(cString: pcap_geterr(handle))
            unsafe pcap_close(handle)
            throw OpenError(interface: interface, reason: "BPF filter \"\(settings.filter)\": \(reason)", isMissingInterface: false)
        }
        defer { unsafe pcap_freecode(&program) }
        guard unsafe pcap_setfilter(handle, &program) == 0, unsafe pcap_setnonblock(handle, 1, &errorBuffer) == 0 else {
            let reason = unsafe String(cString: pcap_geterr(handle))
            unsafe pcap_close(handle)
            throw OpenError(interface: interface, reason: reason, isMissingInterface: false)
        }
        self.interface = interface
        unsafe self.handle = handle
        linkType = LinkType(rawValue: unsafe pcap_datalink(handle))
    }

    deinit { unsafe pcap_close(handle) }

    /// The descriptor to poll for readability.
    public var pollDescriptor: Int32 { unsafe pcap_get_selectable_fd(handle) }

    /// Hands every packet waiting now (at most 10 000) to `body` (bytes valid only during the call).
    public func drain(_ body: (Span<UInt8>, Int, Timestamp) -> Void) -> DrainResult { drain(limit: 10_000, body) }

    /// Hands at most `limit` packets waiting now to `body` (bytes valid only during the call).
    public func drain(limit: Int, _ body: (Span<UInt8>, Int, Timestamp) -> Void) -> DrainResult {
        var count = 0
        while count < limit {
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let status = unsafe pcap_next_ex(handle, &header, &data)
            switch status {
            case 1:
                guard let header = unsafe header, let data = unsafe data else { continue }
                let record = unsafe header.pointee
                let time = Timestamp(seconds: Int64(record.ts.tv_sec), nanoseconds: Int64(record.ts.tv_usec) * 1000)
                // unsafe: libpcap keeps `data` valid for `caplen` bytes until the next pcap_next_ex.
                unsafe withBorrowedBytes(data, count: Int(record.caplen)) { span in body(span, Int(record.len), time) }
                count += 1
            case 0:
                return .drained(count: count)
            default:
                return .failed(unsafe String(cString: pcap_geterr(handle)))
            }
        }
        return .drained(count: count)
    }

    /// Kernel counters: packets received and dropped (`pcap_stats`).
    public var kernelStatistics: KernelStatistics? {
        var stats = pcap_stat()
        guard unsafe pcap_stats(handle, &stats) == 0 else { return nil }
        return KernelStatistics(received: UInt64(stats.ps_recv), dropped: UInt64(stats.ps_drop),
                                interfaceDropped: UInt64(stats.ps_ifdrop))
    }

    private static func text(_ buffer: [CChar]) -> String {
        unsafe buffer.withUnsafeBufferPointer { unsafe String(cString: $0.baseAddress!) }
    }
}
