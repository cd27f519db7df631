/// A live capture on one interface, as the daemon's capture threads use it: libpcap
/// (`LiveCapture`) or an AF_PACKET ring (`AFPacketCapture`). One thread drains a source at a time.
public protocol PacketSource: AnyObject {
    var interface: String { get }
    /// How the frames `drain` hands over begin.
    var linkType: LinkType { get }
    /// The descriptor to poll for readability (POLLIN) and failure (POLLERR).
    var pollDescriptor: Int32 { get }
    /// Hands every packet waiting now to `body`: its captured bytes (valid only during the call),
    /// its length on the wire and its capture time.
    func drain(_ body: (Span<UInt8>, Int, Timestamp) -> Void) -> DrainResult
    /// The kernel's counters for this capture since it was opened (nil when they cannot be read).
    var kernelStatistics: KernelStatistics? { get }
}

public enum DrainResult: Equatable, Sendable {
    /// `count` packets were handled; none is waiting now.
    case drained(count: Int)
    /// The interface failed (went down, was removed): close and reopen later.
    case failed(String)
}

/// What the kernel counted for a capture.
public struct KernelStatistics: Sendable, Equatable {
    /// Packets that passed the filter, the dropped ones included (as `pcap_stats` counts them).
    public var received: UInt64 = 0
    /// Packets that passed the filter but found no room in the capture buffer.
    public var dropped: UInt64 = 0
    /// Packets the interface itself dropped (libpcap only; 0 for AF_PACKET).
    public var interfaceDropped: UInt64 = 0
    /// How often the AF_PACKET ring was found full and the queue frozen (0 for libpcap).
    public var ringFull: UInt64 = 0

    public init(received: UInt64 = 0, dropped: UInt64 = 0, interfaceDropped: UInt64 = 0, ringFull: UInt64 = 0) {
        self.received = received
        self.dropped = dropped
        self.interfaceDropped = interfaceDropped
        self.ringFull = ringFull
    }

    public static func + (lhs: KernelStatistics, rhs: KernelStatistics) -> KernelStatistics {
        KernelStatistics(received: lhs.received &+ rhs.received, dropped: lhs.dropped &+ rhs.dropped,
                         interfaceDropped: lhs.interfaceDropped &+ rhs.interfaceDropped,
                         ringFull: lhs.ringFull &+ rhs.ringFull)
    }

    public static func += (lhs: inout KernelStatistics, rhs: KernelStatistics) { lhs = lhs + rhs }
}

/// A capture that could not be opened.
public struct CaptureOpenError: Error, CustomStringConvertible, Sendable {
    public var interface: String
    public var reason: String
    /// The interface does not exist (yet) or is down: worth retrying later.
    public var isMissingInterface: Bool
    public var description: String { "cannot capture on \(interface): \(reason)" }

    public init(interface: String, reason: String, isMissingInterface: Bool) {
        self.interface = interface
        self.reason = reason
        self.isMissingInterface = isMissingInterface
    }
}
