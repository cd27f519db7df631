import CLinux

#if canImport(Glibc)
import Glibc
#endif

/// A live capture on one interface through a Linux AF_PACKET socket with a TPACKET_V3 receive
/// ring: the kernel writes packets into blocks of memory shared with this process and hands over
/// whole blocks, so a busy interface costs one wakeup per block rather than a system call per
/// packet.
///
/// Several sockets on the same interface can form a *fanout group*: the kernel then gives each
/// packet to exactly one of them, chosen by a hash of its flow (PACKET_FANOUT_HASH). The hash is
/// symmetric — the same for both directions of a connection — and IPv4 fragments are reassembled
/// before hashing (PACKET_FANOUT_FLAG_DEFRAG), so every packet of a TCP connection reaches the
/// same socket and one thread per socket can follow connections on its own.
///
/// The configured BPF filter is compiled by libpcap and attached to the socket, and its accept
/// length cuts packets to the snaplen. Ethernet and loopback interfaces deliver Ethernet frames;
/// interfaces without a link header (tun, WireGuard, IP-in-IP, sit) deliver raw IP. Others are
/// refused (libpcap's cooked mode handles them: `capture.method` `pcap`).
///
/// Not for concurrent use: one thread drains it.
@safe
public final class AFPacketCapture: PacketSource {
    public let interface: String
    public let linkType: LinkType
    /// The fanout group the socket is in; nil when it is alone.
    public let fanoutGroup: UInt16?
    public let settings: Settings
    private let socket: PacketSocket
    private let ring: PacketRing
    private var totals = KernelStatistics()

    public struct Settings: Sendable, Equatable {
        /// Bytes kept of each packet.
        public var snaplen = 65535
        /// Size of the ring (kernel memory, allocated when the socket opens).
        public var ringBytes = 64 << 20
        /// Block size; nil: 1 MiB, or less so that a small ring still has at least four blocks.
        public var blockSize: Int?
        /// A block that is not full is handed over after this long, so quiet traffic is not held back.
        public var blockTimeoutMilliseconds = 10
        public var promiscuous = true
        public var filter = "tcp or (vlan and tcp)"

        public init() {}

        /// Blocks of a power-of-two size, each able to hold one packet of `snaplen` bytes.
        public var geometry: (blockSize: Int, blockCount: Int) {
            func powerOfTwo(atLeast value: Int) -> Int { var size = 4096; while size < value { size <<= 1 }; return size }
            let smallest = powerOfTwo(atLeast: snaplen + 512)  // headers and alignment besides the packet
            var size = blockSize.map { powerOfTwo(atLeast: max($0, smallest)) } ?? max(1 << 20, smallest)
            if blockSize == nil { while size > smallest && ringBytes / size < 4 { size >>= 1 } }
            return (size, max(ringBytes / size, 2))
        }
    }

    /// Whether the socket joins a fanout group.
    public enum Fanout: Sendable, Equatable {
        case none
        /// Join group `id` (or create it, when nobody is in it yet).
        case group(UInt16)
        /// Create a group with an id the kernel picks among unused ones (`fanoutGroup` tells it).
        case newGroup
    }

    /// PACKET_FANOUT_HASH (0) with reassembly of IPv4 fragments before hashing.
    static let fanoutMode = UInt32(PACKET_FANOUT_HASH) | UInt32(PACKET_FANOUT_FLAG_DEFRAG)

    public init(interface: String, settings: Settings, fanout: Fanout = .none) throws(CaptureOpenError) {
        func failure(_ reason: String, missing: Bool = false) -> CaptureOpenError {
            CaptureOpenError(interface: interface, reason: reason, isMissingInterface: missing)
        }
        guard let info = PacketSocket.interfaceInfo(interface) else {
            let code = errno
            throw failure(code == ENODEV || code == ENXIO ? "no such interface" : errorText(code), missing: code == ENODEV || code == ENXIO)
        }
        guard info.isUp else { throw failure("interface is down", missing: true) }
        guard let linkType = Self.linkType(hardwareType: info.hardwareType) else {
            throw failure("AF_PACKET capture does not handle link type ARPHRD \(info.hardwareType) (capture.method \"pcap\" does)")
        }
        guard let socket = PacketSocket() else {
            let code = errno
            throw failure("AF_PACKET socket: " + errorText(code) + (code == EPERM ? " (needs CAP_NET_RAW)" : ""))
        }
        // Filter first, so not one unfiltered packet reaches the ring.
        if let reason = socket.attachFilter(settings.filter, linkType: linkType, snaplen: settings.snaplen,
                                            skipOutgoing: info.hardwareType == Int32(ARPHRD_LOOPBACK)) {
            throw failure(reason)
        }
        let (blockSize, blockCount) = settings.geometry
        guard mw_packet_rx_ring_v3(socket.descriptor, UInt32(blockSize), UInt32(blockCount), 2048,
                                   UInt32(settings.blockTimeoutMilliseconds)) == 0 else {
            throw failure("TPACKET_V3 ring of \(blockCount) × \(blockSize) bytes: " + errorText(errno))
        }
        guard let ring = PacketRing(socket: socket, blockSize: blockSize, blockCount: blockCount) else {
            throw failure("cannot map the capture ring: " + errorText(errno))
        }
        guard mw_packet_bind(socket.descriptor, info.index) == 0 else {
            let code = errno
            throw failure("bind: " + errorText(code), missing: code == ENODEV || code == ENXIO || code == ENETDOWN)
        }
        if settings.promiscuous, mw_packet_promiscuous(socket.descriptor, info.index) != 0 {
            throw failure("promiscuous mode: " + errorText(errno))
        }
        switch fanout {
        case .none:
            fanoutGroup = nil
        case .group(let id):
            guard mw_packet_fanout(socket.descriptor, UInt32(id), Self.fanoutMode) == 0 else {
                throw failure("cannot join fanout group \(id): " + errorText(errno)
                    + " (the id may be in use by another capture with other settings or on another interface)")
            }
            fanoutGroup = id
        case .newGroup:
            guard mw_packet_fanout(socket.descriptor, 0, Self.fanoutMode | UInt32(PACKET_FANOUT_FLAG_UNIQUEID)) == 0 else {
                throw failure("cannot create a fanout group: " + errorText(errno))
            }
            let id = mw_packet_fanout_group(socket.descriptor)
            guard id >= 0 else { throw failure("cannot read the fanout group id: " + errorText(errno)) }
            fanoutGroup = UInt16(id)
        }
        self.interface = interface
        self.linkType = linkType
        self.settings = settings
        self.socket = socket
        self.ring = ring
    }

    /// `members` sockets on `interface` in one fanout group: `group`, or a new one with an id the
    /// kernel picks (on kernels without that, one derived from the process id). One member is a
    /// plain socket.
    public static func open(interface: String, settings: Settings, members: Int,
                            group: UInt16? = nil) throws(CaptureOpenError) -> [AFPacketCapture] {
        guard members > 1 else { return [try AFPacketCapture(interface: interface, settings: settings)] }
        let first: AFPacketCapture
        if let group {
            first = try AFPacketCapture(interface: interface, settings: settings, fanout: .group(group))
        } else {
            do {
                first = try AFPacketCapture(interface: interface, settings: settings, fanout: .newGroup)
            } catch where error.reason.hasPrefix("cannot create a fanout group") {
                first = try AFPacketCapture(interface: interface, settings: settings,
                                            fanout: .group(UInt16(truncatingIfNeeded: getpid())))
            }
        }
        var sockets = [first]
        for _ in 1..<members {
            sockets.append(try AFPacketCapture(interface: interface, settings: settings, fanout: .group(first.fanoutGroup!)))
        }
        return sockets
    }

    /// The project's link type for an interface's ARPHRD type; nil when AF_PACKET capture does
    /// not handle it here.
    public static func linkType(hardwareType: Int32) -> LinkType? {
        switch hardwareType {
        // Loopback frames carry a (zeroed) Ethernet header on Linux.
        case Int32(ARPHRD_ETHER), Int32(ARPHRD_LOOPBACK): .ethernet
        // No link-layer header at all: the packet starts with the IP header.
        case Int32(ARPHRD_NONE), 519 /* ARPHRD_RAWIP */, Int32(ARPHRD_TUNNEL), Int32(ARPHRD_TUNNEL6), Int32(ARPHRD_SIT): .raw
        default: nil
        }
    }

    public var pollDescriptor: Int32 { socket.descriptor }

    public func drain(_ body: (Span<UInt8>, Int, Timestamp) -> Void) -> DrainResult {
        let count = ring.drain(body)
        if count == 0 {
            // Woken with nothing to read: the socket may have an error (ENETDOWN when the
            // interface went down or away). Reading SO_ERROR clears it.
            let error = mw_socket_error(socket.descriptor)
            if error != 0 { return .failed(errorText(error)) }
        }
        return .drained(count: count)
    }

    /// Accumulated since the socket opened: the kernel resets PACKET_STATISTICS whenever it is
    /// read, so each read adds to the running totals.
    public var kernelStatistics: KernelStatistics? {
        if let delta = socket.statisticsSinceLastRead() { totals += delta }
        return totals
    }
}
