// libFuzzer target: one TCP connection's two byte streams, cut into segments and played through
// the whole pipeline (raw IPv4 frames → flow → reassembly → TLS → SessionsOnlyObserver, which
// hashes every certificate), then `finish()`.
//
// Input format (5-byte header, then the streams):
//   byte 0: flags
//     bit 0  shuffle the data segments (seeded by byte 4)
//     bit 1  duplicate some segments (retransmissions, delivered later)
//     bit 2  no SYN / SYN-ACK / ACK (capture picked up mid-connection)
//     bit 3  close with FIN both ways (bit 3 + bit 6: RST from the server instead)
//     bit 4  interleave client and server segments (otherwise all client data, then all server)
//     bit 5  add overlapping retransmissions spanning two neighbouring segments (same bytes)
//     bit 6  make those retransmissions disagree with the original bytes
//     bit 7  insert a capture-time gap longer than the idle timeout at a seeded position
//   byte 1: segment size: 1...64 for values below 64, else (value - 63) * 8 (8...1536); raised
//           so that neither direction is cut into more than 512 segments (keeps every input fast:
//           a 64 KB stream in 1-byte segments takes ~10 s under ASan without being more useful)
//   bytes 2-3: client stream length (big-endian), clamped to what follows
//   byte 4: seed (shuffle, duplicates, ISNs)
//   rest: client stream, then server stream
// Build and run with scripts/fuzz.sh FuzzTLSHandshake SECONDS.

import Detector
import Glibc
import Sniffer
import FuzzSupport
import Wire

/// SplitMix64: deterministic per input.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct Segment {
    var fromClient: Bool
    var sequence: UInt32
    var acknowledgment: UInt32
    var flags: UInt8
    var payload: [UInt8]
}

let fin: UInt8 = 0x01, syn: UInt8 = 0x02, rst: UInt8 = 0x04, psh: UInt8 = 0x08, ack: UInt8 = 0x10
let clientAddress: UInt32 = 0x0a00_0001, clientPort: UInt16 = 50000   // 10.0.0.1:50000
let serverAddress: UInt32 = 0xc000_0201, serverPort: UInt16 = 443     // 192.0.2.1:443

func u32(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
}

/// A raw IPv4 frame (link type RAW) carrying the segment.
func frame(_ segment: Segment) -> [UInt8] {
    let (source, destination) = segment.fromClient
        ? ((clientAddress, clientPort), (serverAddress, serverPort))
        : ((serverAddress, serverPort), (clientAddress, clientPort))
    let total = 40 + segment.payload.count
    var bytes: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 1, 0x40, 0, 64, 6, 0, 0]
    bytes += u32(source.0) + u32(destination.0)
    bytes += [UInt8(source.1 >> 8), UInt8(source.1 & 0xff), UInt8(destination.1 >> 8), UInt8(destination.1 & 0xff)]
    bytes += u32(segment.sequence) + u32(segment.acknowledgment)
    bytes += [0x50, segment.flags, 0xff, 0xff, 0, 0, 0, 0]
    return bytes + segment.payload
}

/// Builds the segment list for one input.
func script(flags: UInt8, size: Int, seed: UInt8, client: Span<UInt8>, server: Span<UInt8>) -> [Segment] {
    var random = SeededGenerator(state: UInt64(seed) &* 0x0101_0101_0101_0101)
    // ISNs near the wrap point, so sequence arithmetic crosses 2^32 for many inputs.
    let clientISN = UInt32.max &- UInt32(seed) &* 16
    let serverISN = 0x7fff_fff0 &+ UInt32(seed)

    func cut(_ stream: Span<UInt8>, fromClient: Bool) -> [Segment] {
        let isn = fromClient ? clientISN : serverISN
        let peer = fromClient ? serverISN : clientISN
        var out: [Segment] = []
        var start = 0
        while start < stream.count {
            let end = min(stream.count, start + size)
            var payload: [UInt8] = []
            payload.reserveCapacity(end - start)
            for index in start..<end { payload.append(stream[index]) }
            out.append(Segment(fromClient: fromClient, sequence: isn &+ 1 &+ UInt32(truncatingIfNeeded: start),
                               acknowledgment: peer &+ 1, flags: ack | psh, payload: payload))
            start = end
        }
        return out
    }

    /// Retransmissions covering the second half of segment i and the first half of i + 1.
    func overlaps(_ segments: [Segment], corrupt: Bool) -> [Segment] {
        var out: [Segment] = []
        var index = 0
        while index + 1 < segments.count {
            let first = segments[index], second = segments[index + 1]
            let half = first.payload.count / 2
            var payload = Array(first.payload[half...]) + Array(second.payload.prefix(max(1, second.payload.count / 2)))
            if corrupt { for position in stride(from: 0, to: payload.count, by: 3) { payload[position] ^= 0x5a } }
            out.append(Segment(fromClient: first.fromClient, sequence: first.sequence &+ UInt32(half),
                               acknowledgment: first.acknowledgment, flags: ack | psh, payload: payload))
            index += 2
        }
        return out
    }

    var segments: [Segment] = []
    if flags & 0x04 == 0 {
        segments.append(Segment(fromClient: true, sequence: clientISN, acknowledgment: 0, flags: syn, payload: []))
        segments.append(Segment(fromClient: false, sequence: serverISN, acknowledgment: clientISN &+ 1,
                                flags: syn | ack, payload: []))
        segments.append(Segment(fromClient: true, sequence: clientISN &+ 1, acknowledgment: serverISN &+ 1,
                                flags: ack, payload: []))
    }
    let clientSegments = cut(client, fromClient: true)
    let serverSegments = cut(server, fromClient: false)
    var data: [Segment] = []
    if flags & 0x10 != 0 {
        for index in 0..<max(clientSegments.count, serverSegments.count) {
            if index < clientSegments.count { data.append(clientSegments[index]) }
            if index < serverSegments.count { data.append(serverSegments[index]) }
        }
    } else {
        data = clientSegments + serverSegments
    }
    if flags & 0x20 != 0 {
        data += overlaps(clientSegments, corrupt: flags & 0x40 != 0)
        data += overlaps(serverSegments, corrupt: flags & 0x40 != 0)
    }
    if flags & 0x01 != 0 { data.shuffle(using: &random) }
    if flags & 0x02 != 0 && !data.isEmpty {
        for _ in 0..<(data.count / 4 + 1) {
            let original = data[Int.random(in: 0..<data.count, using: &random)]
            data.insert(original, at: Int.random(in: 0...data.count, using: &random))
        }
    }
    segments += data
    if flags & 0x08 != 0 {
        let clientEnd = clientISN &+ 1 &+ UInt32(truncatingIfNeeded: client.count)
        let serverEnd = serverISN &+ 1 &+ UInt32(truncatingIfNeeded: server.count)
        if flags & 0x40 != 0 {
            segments.append(Segment(fromClient: false, sequence: serverEnd, acknowledgment: clientEnd,
                                    flags: rst | ack, payload: []))
        } else {
            segments.append(Segment(fromClient: true, sequence: clientEnd, acknowledgment: serverEnd,
                                    flags: fin | ack, payload: []))
            segments.append(Segment(fromClient: false, sequence: serverEnd, acknowledgment: clientEnd &+ 1,
                                    flags: fin | ack, payload: []))
        }
    }
    return segments
}

/// MITMWATCH_FUZZ_DEBUG=1: print each session (to check what the seeds reach, with -runs=0).
// unsafe: getenv's result is only compared with nil, never read.
let debug = unsafe getenv("MITMWATCH_FUZZ_DEBUG") != nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // unsafe: libFuzzer guarantees `data` points to `size` initialised bytes that stay valid and
    // unmodified until this function returns; the span handed to the closure cannot escape it.
    unsafe withBorrowedBytes(data, count: size) { input in
        guard input.count >= 5 else { return }
        let flags = input[0]
        let sizeByte = Int(input[1])
        let segmentSize = sizeByte < 64 ? sizeByte + 1 : (sizeByte - 63) * 8
        let streams = input.extracting(droppingFirst: 5)
        let clientLength = min(Int(input[2]) << 8 | Int(input[3]), streams.count)
        let longest = max(clientLength, streams.count - clientLength)
        let segments = script(flags: flags, size: max(segmentSize, (longest + 511) / 512), seed: input[4],
                              client: streams.extracting(first: clientLength),
                              server: streams.extracting(droppingFirst: clientLength))

        var random = SeededGenerator(state: UInt64(input[4]))
        let gapAt = flags & 0x80 != 0 ? Int.random(in: 0...segments.count, using: &random) : -1
        var sessions: [TLSSession] = []
        var pipeline = Pipeline(observer: SessionsOnlyObserver { sessions.append($0) })
        var time = Timestamp(seconds: 1_700_000_000)
        for (index, segment) in segments.enumerated() {
            time = time.adding(seconds: index == gapAt ? 130 : 0.000_1)
            let bytes = frame(segment)
            pipeline.process(frame: bytes.span, originalLength: bytes.count, linkType: .raw, at: time)
        }
        pipeline.finish()
        if pipeline.activeFlows != 0 { fatalError("flows left after finish()") }
        if pipeline.reassemblyBytes != 0 { fatalError("reassembly bytes held after finish(): \(pipeline.reassemblyBytes)") }
        // Read what a session record would print, so the derived values are computed too.
        for session in sessions {
            let names = session.serverNames
            let version = session.version
            let chain = session.serverChain?.fingerprints.map(\.description)
            if debug {
                print("session \(session.id): sni \(names) version \(version.map { "\($0)" } ?? "-")",
                      "server chain \(chain?.count ?? -1) unobserved \(session.unobservedReason?.rawValue ?? "-")",
                      "end \(session.endedBy.rawValue)")
            }
        }
    }
    return 0
}

// MARK: Entry point (the `main` SwiftPM links this executable with; see FuzzSupport)

@_cdecl("FuzzTLSHandshake_main")
func entryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    unsafe runLibFuzzer(argc, argv, fuzz)
}
