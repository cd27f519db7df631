/// TCP flag bits, as in the header.
public struct TCPFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
}

/// What the decoder learned about one TCP segment; the payload travels beside it as a span.
/// Addresses are the innermost ones when the packet was tunnelled.
public struct TCPSegmentHeader: Sendable, Equatable {
    public var source: IPAddress
    public var destination: IPAddress
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequence: UInt32
    public var acknowledgment: UInt32
    public var flags: TCPFlags
    public var window: UInt16

    public init(source: IPAddress, destination: IPAddress, sourcePort: UInt16, destinationPort: UInt16,
                sequence: UInt32, acknowledgment: UInt32, flags: TCPFlags, window: UInt16 = 0) {
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequence = sequence
        self.acknowledgment = acknowledgment
        self.flags = flags
        self.window = window
    }
}

/// Receives what the packet decoder finds, while the packet's bytes are still valid.
public protocol SegmentSink {
    /// One TCP segment; `payload` views the packet (or reassembled IP datagram) and must not be
    /// kept beyond the call.
    mutating func tcpSegment(_ header: TCPSegmentHeader, payload: Span<UInt8>, at time: Timestamp)
}
