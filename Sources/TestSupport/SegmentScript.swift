import Detector
import Sniffer

/// Plays a TCP connection into the real pipeline as raw IPv4 frames (link type RAW), segment by
/// segment, so reassembly tests exercise decode → flow → reassembly → TLS exactly as `read` does.
public struct SegmentScript {
    public struct Segment {
        public var fromClient: Bool
        public var sequence: UInt32
        public var acknowledgment: UInt32
        public var flags: UInt8
        public var payload: [UInt8]
        /// The client's port for this segment (scripts can mix several connections).
        public var clientPort: UInt16 = 50000

        public init(fromClient: Bool, sequence: UInt32, acknowledgment: UInt32, flags: UInt8, payload: [UInt8],
                    clientPort: UInt16 = 50000) {
            self.fromClient = fromClient
            self.sequence = sequence
            self.acknowledgment = acknowledgment
            self.flags = flags
            self.payload = payload
            self.clientPort = clientPort
        }
    }

    public static let fin: UInt8 = 0x01, syn: UInt8 = 0x02, rst: UInt8 = 0x04, psh: UInt8 = 0x08, ack: UInt8 = 0x10

    public var clientISN: UInt32 = 1000
    public var serverISN: UInt32 = 5000
    public var client: (UInt32, UInt16) = (0x0a00_0001, 50000)  // 10.0.0.1:50000
    public var server: (UInt32, UInt16) = (0xc000_0201, 443)    // 192.0.2.1:443
    public var segments: [Segment] = []

    public init() {}

    /// SYN, SYN-ACK, ACK.
    public mutating func handshake() {
        segments.append(Segment(fromClient: true, sequence: clientISN, acknowledgment: 0, flags: Self.syn, payload: [], clientPort: client.1))
        segments.append(Segment(fromClient: false, sequence: serverISN, acknowledgment: clientISN &+ 1,
                                flags: Self.syn | Self.ack, payload: [], clientPort: client.1))
        segments.append(Segment(fromClient: true, sequence: clientISN &+ 1, acknowledgment: serverISN &+ 1,
                                flags: Self.ack, payload: [], clientPort: client.1))
    }

    /// Cuts `bytes` (the side's stream starting right after its SYN) into segments of `size`.
    public func cut(_ bytes: [UInt8], fromClient: Bool, size: Int, startOffset: Int = 0) -> [Segment] {
        let isn = fromClient ? clientISN : serverISN
        let peerISN = fromClient ? serverISN : clientISN
        var out: [Segment] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + size)
            out.append(Segment(fromClient: fromClient,
                               sequence: isn &+ 1 &+ UInt32(truncatingIfNeeded: start + startOffset),
                               acknowledgment: peerISN &+ 1, flags: Self.ack | Self.psh,
                               payload: Array(bytes[start..<end]), clientPort: client.1))
            start = end
        }
        return out
    }

    /// A pure ACK from one side acknowledging the other side's stream up to `offset` bytes.
    public func acknowledge(fromClient: Bool, upTo offset: Int) -> Segment {
        let peerISN = fromClient ? serverISN : clientISN
        return Segment(fromClient: fromClient, sequence: (fromClient ? clientISN : serverISN) &+ 1,
                       acknowledgment: peerISN &+ 1 &+ UInt32(truncatingIfNeeded: offset), flags: Self.ack, payload: [],
                       clientPort: client.1)
    }

    public func frame(_ segment: Segment) -> [UInt8] {
        let clientEndpoint = (client.0, segment.clientPort)
        let (source, destination) = segment.fromClient ? (clientEndpoint, server) : (server, clientEndpoint)
        let tcpLength = 20 + segment.payload.count
        var ip: [UInt8] = [0x45, 0, UInt8((20 + tcpLength) >> 8), UInt8((20 + tcpLength) & 0xff), 0, 1, 0x40, 0, 64, 6, 0, 0]
        ip += Self.u32(source.0) + Self.u32(destination.0)
        var tcp = TLSBytes.u16(Int(source.1)) + TLSBytes.u16(Int(destination.1))
        tcp += Self.u32(segment.sequence) + Self.u32(segment.acknowledgment)
        tcp += [0x50, segment.flags, 0xff, 0xff, 0, 0, 0, 0]
        return ip + tcp + segment.payload
    }

    public static func u32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    /// Runs the segments through a fresh pipeline; returns the sessions and the counters.
    /// Plays the segments into `pipeline` (any observer), then finishes it.
    public func play<Observer>(into pipeline: inout Pipeline<Observer>, step: Int64 = 1000,
                               startingAt seconds: Int64 = 1_700_000_000) {
        for (index, segment) in segments.enumerated() {
            let bytes = frame(segment)
            pipeline.process(frame: bytes.span, originalLength: bytes.count, linkType: .raw,
                             at: Timestamp(seconds: seconds, nanoseconds: Int64(index) * step))
        }
        pipeline.finish()
    }

    /// Segments are `step` nanoseconds apart in capture time.
    public func run(limits: SnifferLimits = SnifferLimits(), step: Int64 = 1000)
        -> (sessions: [TLSSession], counters: Counters, peak: Int) {
        var sessions: [TLSSession] = []
        var pipeline = Pipeline(limits: limits, observer: SessionsOnlyObserver { sessions.append($0) })
        play(into: &pipeline, step: step)
        return (sessions, pipeline.counters, pipeline.reassemblyPeakBytes)
    }
}

/// A small deterministic generator (SplitMix64) so shuffles are reproducible.
public struct SeededGenerator: RandomNumberGenerator {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
