/// A classic pcap (LINKTYPE_RAW) of TLS 1.2 handshakes at given times — days apart, for the
/// history rules — each on its own client port, its Certificate message in clear, closed by FIN.
public enum TimedCapture {
    public struct Session {
        public var serverName: String
        public var chain: [[UInt8]]
        /// Unix seconds.
        public var at: Int64

        public init(serverName: String, chain: [[UInt8]], at: Int64) {
            self.serverName = serverName
            self.chain = chain
            self.at = at
        }
    }

    public static func pcap(_ sessions: [Session]) -> [UInt8] {
        func u32(_ value: UInt32) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 24)] }
        var file = u32(0xa1b2_c3d4) + [2, 0, 4, 0] + u32(0) + u32(0) + u32(65535) + u32(101)
        for (index, session) in sessions.enumerated() {
            var script = SegmentScript()
            script.client.1 = UInt16(20_000 + index % 40_000)
            script.handshake()
            let hello = TLSBytes.record(22, TLSBytes.clientHello(sni: session.serverName, supportedVersions: [0x0304, 0x0303]))
            let server = TLSBytes.records(22, TLSBytes.serverHello() + TLSBytes.certificate(session.chain) + TLSBytes.serverHelloDone)
            script.segments += script.cut(hello, fromClient: true, size: 1400)
            script.segments += script.cut(server, fromClient: false, size: 1400)
            script.segments.append(SegmentScript.Segment(
                fromClient: true, sequence: script.clientISN &+ 1 &+ UInt32(hello.count),
                acknowledgment: script.serverISN &+ 1 &+ UInt32(server.count), flags: SegmentScript.fin | SegmentScript.ack,
                payload: [], clientPort: script.client.1))
            script.segments.append(SegmentScript.Segment(
                fromClient: false, sequence: script.serverISN &+ 1 &+ UInt32(server.count),
                acknowledgment: script.clientISN &+ 2 &+ UInt32(hello.count), flags: SegmentScript.fin | SegmentScript.ack,
                payload: [], clientPort: script.client.1))
            for (position, segment) in script.segments.enumerated() {
                let frame = script.frame(segment)
                file += u32(UInt32(truncatingIfNeeded: session.at)) + u32(UInt32(position)) + u32(UInt32(frame.count))
                    + u32(UInt32(frame.count)) + frame
            }
        }
        return file
    }
}
