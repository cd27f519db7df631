import Foundation
import Sniffer
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `AFPacketCapture` on the loopback interface, with real TCP connections made through the
/// kernel: frames arrive once each (loopback's sent copy is filtered out), Ethernet-framed, with
/// the right lengths, cut at the snaplen; a fanout group gives every packet to exactly one
/// socket and both directions of a connection to the same one. Needs CAP_NET_RAW (root).
@Suite(.serialized) struct AFPacketCaptureTests {
    /// One captured frame, copied out of the ring.
    struct Frame {
        var bytes: [UInt8]
        var length: Int
        var time: Timestamp

        var isIPv4TCP: Bool { bytes.count >= 54 && bytes[12] == 0x08 && bytes[13] == 0x00 && bytes[23] == 6 }
        var ipTotalLength: Int { Int(bytes[16]) << 8 | Int(bytes[17]) }
        private var tcp: Int { 14 + Int(bytes[14] & 0x0f) * 4 }
        var sourcePort: UInt16 { UInt16(bytes[tcp]) << 8 | UInt16(bytes[tcp + 1]) }
        var destinationPort: UInt16 { UInt16(bytes[tcp + 2]) << 8 | UInt16(bytes[tcp + 3]) }
        var flags: UInt8 { bytes[tcp + 13] }
        var payloadLength: Int { ipTotalLength - (tcp - 14) - Int(bytes[tcp + 12] >> 4) * 4 }
    }

    /// Drains `captures` until `done` says enough or `seconds` pass.
    static func collect(_ captures: [AFPacketCapture], seconds: Double = 3,
                        until done: ([[Frame]]) -> Bool) -> [[Frame]] {
        var frames = Array(repeating: [Frame](), count: captures.count)
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && !done(frames) {
            for (index, capture) in captures.enumerated() {
                let result = capture.drain { span, length, time in
                    var bytes: [UInt8] = []
                    bytes.reserveCapacity(span.count)
                    for offset in 0..<span.count { bytes.append(span[offset]) }
                    frames[index].append(Frame(bytes: bytes, length: length, time: time))
                }
                if case .failed(let reason) = result { Issue.record("drain failed: \(reason)") }
            }
            usleep(5_000)
        }
        return frames
    }

    @Test func capturesLoopbackTCPOnceEachWithLinkTypeAndLengths() throws {
        guard getuid() == 0 else { Issue.record("needs root (CAP_NET_RAW)"); return }
        let server = try LoopbackTCP.listen()
        defer { close(server.descriptor) }
        var settings = AFPacketCapture.Settings()
        settings.filter = "tcp port \(server.port)"
        settings.ringBytes = 4 << 20
        let capture = try AFPacketCapture(interface: "lo", settings: settings)
        #expect(capture.linkType == .ethernet)
        #expect(capture.fanoutGroup == nil)

        let before = Date().timeIntervalSince1970
        let payloads = [5, 300, 1200]
        try LoopbackTCP.exchange(with: server, payloads: payloads)
        let frames = Self.collect([capture]) { $0[0].contains { $0.flags & 0x01 != 0 && $0.sourcePort == server.port } }[0]

        #expect(frames.allSatisfy { $0.isIPv4TCP })
        // Every frame is whole: captured = on the wire = Ethernet header + IP total length.
        for frame in frames {
            #expect(frame.bytes.count == frame.length)
            #expect(frame.length == 14 + frame.ipTotalLength)
            #expect(Double(frame.time.seconds) >= before.rounded(.down) && Double(frame.time.seconds) <= before + 10)
        }
        // Exactly one SYN and one SYN-ACK: loopback's outgoing copy of each packet is not delivered.
        #expect(frames.filter { $0.flags & 0x12 == 0x02 }.count == 1)
        #expect(frames.filter { $0.flags & 0x12 == 0x12 }.count == 1)
        // The client's payloads, each in one segment of its size, once.
        let sent = frames.filter { $0.destinationPort == server.port && $0.payloadLength > 0 }.map(\.payloadLength)
        #expect(sent == payloads)
        let statistics = try #require(capture.kernelStatistics)
        #expect(statistics.received >= UInt64(frames.count))
        #expect(statistics.dropped == 0)
        // Statistics accumulate (PACKET_STATISTICS resets when read).
        #expect(capture.kernelStatistics?.received == statistics.received)
    }

    @Test func snaplenCutsLongPackets() throws {
        guard getuid() == 0 else { Issue.record("needs root (CAP_NET_RAW)"); return }
        let server = try LoopbackTCP.listen()
        defer { close(server.descriptor) }
        var settings = AFPacketCapture.Settings()
        settings.filter = "tcp port \(server.port)"
        settings.snaplen = 96
        settings.ringBytes = 1 << 20
        let capture = try AFPacketCapture(interface: "lo", settings: settings)
        try LoopbackTCP.exchange(with: server, payloads: [4000])
        let frames = Self.collect([capture]) { $0[0].contains { $0.length > 4000 } }[0]
        let long = try #require(frames.first { $0.length > 4000 })
        #expect(long.bytes.count == 96)
        #expect(long.length == 14 + long.ipTotalLength)
        #expect(long.payloadLength == 4000)
        #expect(frames.allSatisfy { $0.bytes.count == min($0.length, 96) })
    }

    @Test func fanoutGivesEachPacketToOneSocketAndAConnectionToOneSocket() throws {
        guard getuid() == 0 else { Issue.record("needs root (CAP_NET_RAW)"); return }
        let server = try LoopbackTCP.listen()
        defer { close(server.descriptor) }
        var settings = AFPacketCapture.Settings()
        settings.filter = "tcp port \(server.port)"
        settings.ringBytes = 2 << 20
        let captures = try AFPacketCapture.open(interface: "lo", settings: settings, members: 2)
        #expect(captures.count == 2)
        let group = try #require(captures[0].fanoutGroup)
        #expect(captures[1].fanoutGroup == group)
        // A socket outside the group sees every packet: the reference.
        let reference = try AFPacketCapture(interface: "lo", settings: settings)

        let connections = 32
        for _ in 0..<connections { try LoopbackTCP.exchange(with: server, payloads: [100]) }
        func finished(_ sockets: [[Frame]]) -> Int { sockets.joined().filter { $0.flags & 0x01 != 0 && $0.sourcePort == server.port }.count }
        let frames = Self.collect(captures, seconds: 5) { finished($0) == connections }
        let all = Self.collect([reference], seconds: 5) { finished($0) == connections }[0]

        // Every packet reached exactly one socket of the group: together they hold what the
        // reference saw, each packet once.
        #expect(frames.joined().count == all.count)
        #expect(Set(frames.joined().map { Data($0.bytes) }) == Set(all.map { Data($0.bytes) }))
        // Each connection (by client port), both directions, on exactly one socket.
        var owner: [UInt16: Int] = [:]
        for (socket, seen) in frames.enumerated() {
            for frame in seen {
                let client = frame.sourcePort == server.port ? frame.destinationPort : frame.sourcePort
                #expect(owner[client, default: socket] == socket, "connection from port \(client) split across sockets")
                owner[client] = socket
            }
        }
        #expect(owner.count == connections)
        // With 32 connections both sockets get some (all on one: probability 2^-31).
        #expect(frames.allSatisfy { !$0.isEmpty })
    }

    @Test func interfaceTypesAndMissingInterfaces() throws {
        #expect(AFPacketCapture.linkType(hardwareType: 1) == .ethernet)      // ARPHRD_ETHER
        #expect(AFPacketCapture.linkType(hardwareType: 772) == .ethernet)    // ARPHRD_LOOPBACK
        #expect(AFPacketCapture.linkType(hardwareType: 0xFFFE) == .raw)      // ARPHRD_NONE (tun, WireGuard)
        #expect(AFPacketCapture.linkType(hardwareType: 768) == .raw)         // ARPHRD_TUNNEL (ipip)
        #expect(AFPacketCapture.linkType(hardwareType: 512) == nil)          // ARPHRD_PPP: libpcap's cooked mode
        #expect(throws: CaptureOpenError.self) { try AFPacketCapture(interface: "mwtest0", settings: .init()) }
        do {
            _ = try AFPacketCapture(interface: "mwtest0", settings: .init())
        } catch {
            #expect(error.isMissingInterface)
            #expect(error.description == "cannot capture on mwtest0: no such interface")
        }
        guard getuid() == 0 else { return }
        var settings = AFPacketCapture.Settings()
        settings.filter = "tcp and and"
        do {
            _ = try AFPacketCapture(interface: "lo", settings: settings)
            Issue.record("a broken filter was accepted")
        } catch {
            #expect(!error.isMissingInterface)
            #expect(error.reason.contains("BPF filter \"tcp and and\""))
        }
    }

    @Test func ringGeometry() {
        var settings = AFPacketCapture.Settings()
        #expect(settings.geometry.blockSize == 1 << 20 && settings.geometry.blockCount == 64)
        settings.ringBytes = 1 << 20
        #expect(settings.geometry.blockSize == 256 << 10 && settings.geometry.blockCount == 4)
        settings.snaplen = 262_144
        #expect(settings.geometry.blockSize == 512 << 10 && settings.geometry.blockCount == 2)
    }
}

/// TCP over loopback with plain sockets.
enum LoopbackTCP {
    struct Listener {
        var descriptor: Int32
        var port: UInt16
    }

    static func address(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }

    /// A listening socket on 127.0.0.1 and an ephemeral port.
    static func listen() throws -> Listener {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var address = address(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        // unsafe: bind and getsockname read and write one local sockaddr_in.
        let bound = unsafe withUnsafeMutablePointer(to: &address) { pointer in
            unsafe pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                unsafe bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound, Glibc.listen(descriptor, 64) == 0 else { throw TestFailure("bind/listen: errno \(errno)") }
        return Listener(descriptor: descriptor, port: UInt16(bigEndian: address.sin_port))
    }

    /// Connects to `listener`, sends each payload as one write (TCP_NODELAY; waiting for the
    /// server to read it before the next), and closes both ends.
    static func exchange(with listener: Listener, payloads: [Int]) throws {
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard client >= 0 else { throw TestFailure("socket: errno \(errno)") }
        defer { close(client) }
        var noDelay: Int32 = 1
        // unsafe: setsockopt reads one local Int32.
        _ = unsafe setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        var address = address(port: listener.port)
        // unsafe: connect reads one local sockaddr_in.
        let connected = unsafe withUnsafePointer(to: &address) { pointer in
            unsafe pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                unsafe connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw TestFailure("connect: errno \(errno)") }
        let server = accept(listener.descriptor, nil, nil)
        guard server >= 0 else { throw TestFailure("accept: errno \(errno)") }
        defer { close(server) }
        for size in payloads {
            let bytes = [UInt8](repeating: 0x61, count: size)
            // unsafe: write and read use the local arrays' storage for their counts.
            guard unsafe bytes.withUnsafeBytes({ unsafe write(client, $0.baseAddress, size) }) == size else {
                throw TestFailure("write: errno \(errno)")
            }
            var received = 0
            var buffer = [UInt8](repeating: 0, count: size)
            while received < size {
                let count = unsafe buffer.withUnsafeMutableBytes { unsafe read(server, $0.baseAddress, size - received) }
                guard count > 0 else { throw TestFailure("read: errno \(errno)") }
                received += count
            }
        }
        shutdown(client, Int32(SHUT_WR))
        shutdown(server, Int32(SHUT_WR))
    }
}
