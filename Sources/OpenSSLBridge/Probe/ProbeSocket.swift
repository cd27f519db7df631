#if canImport(Glibc)
import Glibc
#endif
import COpenSSL

/// A numeric IPv4 or IPv6 socket address (the probes' connections, the metrics listener).
public struct SocketAddress: Sendable {
    var storage = sockaddr_storage()
    var length: socklen_t = 0
    public let family: Int32

    /// nil when `text` is not a numeric IPv4 or IPv6 address.
    public init?(_ text: String, port: UInt16) {
        guard !text.utf8.contains(0) else { return nil }
        var storage = sockaddr_storage(), length: socklen_t = 0
        // unsafe: the helper reads the NUL-terminated copy of `text` and writes at most one
        // sockaddr_storage and its length into the two variables, which outlive the call.
        let family = unsafe mw_socket_address_parse(text, port, &storage, &length)
        guard family >= 0 else { return nil }
        self.storage = storage
        self.length = length
        self.family = family
    }

    var isIPv6: Bool { family == AF_INET6 }

    /// Binds `descriptor` to this address: 0, or -1 with errno set.
    public func bind(_ descriptor: Int32) -> Int32 {
        var storage = storage
        // unsafe: bind reads `length` bytes of the sockaddr_storage, alive for the call.
        return unsafe withUnsafePointer(to: &storage) { pointer in
            unsafe pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { unsafe Glibc.bind(descriptor, $0, length) }
        }
    }
}

/// A non-blocking TCP connection whose every wait ends at the probe's one deadline. Sends use
/// MSG_NOSIGNAL: a peer that resets the connection cannot raise SIGPIPE, whatever the process's
/// signal disposition.
final class ProbeSocket {
    let descriptor: Int32
    private let clock: ProbeClock
    /// The TTL (hop limit) set by `limitHops`, and whether it was IPv6's option that was set.
    private var hopLimit: (ttl: Int32, ipv6: Bool)?

    private init(descriptor: Int32, clock: ProbeClock) {
        self.descriptor = descriptor
        self.clock = clock
    }

    deinit {
        // A FIN sent at a small TTL would never reach the server, which would then wait for this
        // connection (a one-at-a-time server, the next try's included) until its own timeout.
        if let hopLimit { _ = setOption(hopLimit.ipv6 ? Int32(IPPROTO_IPV6) : Int32(IPPROTO_IP),
                                        hopLimit.ipv6 ? IPV6_UNICAST_HOPS : IP_TTL, -1) }
        close(descriptor)
    }

    /// Connects to `remote` (from `source` when given), waiting at most until the deadline.
    static func connect(to remote: SocketAddress, from source: SocketAddress?, clock: ProbeClock,
                        naming target: String) -> Result<ProbeSocket, TLSProbeError> {
        let descriptor = socket(remote.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return .failure(TLSProbeError(.connectFailed, "socket: \(errorText(errno))")) }
        let connection = ProbeSocket(descriptor: descriptor, clock: clock)
        if let source {
            if source.bind(descriptor) != 0 { return .failure(TLSProbeError(.connectFailed, "binding the source address: \(errorText(errno))")) }
        }
        var address = remote.storage
        // unsafe: connect reads `remote.length` bytes of the sockaddr_storage, alive for the call.
        let started = unsafe withUnsafePointer(to: &address) { pointer in
            unsafe pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { unsafe Glibc.connect(descriptor, $0, remote.length) }
        }
        var failure = started == 0 ? 0 : errno
        if failure == EINPROGRESS || failure == EINTR {
            if let timeout = connection.wait(for: Int16(POLLOUT), doing: "connecting to \(target)") { return .failure(timeout) }
            failure = connection.pendingError()
        }
        switch failure {
        case 0: return .success(connection)
        case ECONNREFUSED: return .failure(TLSProbeError(.connectRefused, "connecting to \(target): \(errorText(failure))"))
        default: return .failure(TLSProbeError(.connectFailed, "connecting to \(target): \(errorText(failure))"))
        }
    }

    /// Sends what follows with IP TTL (IPv6 hop limit) `ttl`, and has ICMP errors for the
    /// connection reported on the socket (IP_RECVERR): on an established TCP connection Linux
    /// otherwise only notes them (a soft error) and keeps retransmitting until the deadline; with
    /// it, a time exceeded ends the next send or receive with EHOSTUNREACH.
    func limitHops(to ttl: Int32, ipv6: Bool) -> TLSProbeError? {
        let level = ipv6 ? Int32(IPPROTO_IPV6) : Int32(IPPROTO_IP)
        guard setOption(level, ipv6 ? IPV6_UNICAST_HOPS : IP_TTL, ttl),
              setOption(level, ipv6 ? IPV6_RECVERR : IP_RECVERR, 1) else {
            return TLSProbeError(.connectFailed, "setting the \(ipv6 ? "hop limit" : "TTL") to \(ttl): \(errorText(errno))")
        }
        hopLimit = (ttl, ipv6)
        return nil
    }

    /// Makes close() reset the connection: a hop-limited handshake that failed leaves its
    /// ClientHello unacknowledged, and a graceful close would retransmit it (at the default TTL,
    /// restored in deinit) to the server after the probe gave up.
    func resetOnClose() {
        var lingering = linger(l_onoff: 1, l_linger: 0)
        // unsafe: setsockopt reads one linger struct from `lingering`, alive for the call.
        _ = unsafe setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &lingering, socklen_t(MemoryLayout<linger>.size))
    }

    /// Waits until `events` are ready (or an error or hang-up is), or returns a timeout error
    /// once the deadline passes.
    func wait(for events: Int16, doing activity: String) -> TLSProbeError? {
        while true {
            let milliseconds = clock.remainingMilliseconds
            if milliseconds == 0 {
                // An ICMP error that came while the kernel held the socket is only kept as SO_ERROR.
                if hopLimit != nil, pendingError() == EHOSTUNREACH { return failure(EHOSTUNREACH, doing: activity) }
                return TLSProbeError(.timeout, "\(activity): no answer within the probe's \(clock.timeoutSeconds) s")
            }
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            // unsafe: poll reads and writes the one pollfd in `entry`, alive for the call.
            let ready = unsafe poll(&entry, 1, milliseconds)
            if ready > 0 { return nil }
            if ready < 0, errno != EINTR { return TLSProbeError(.connectFailed, "\(activity): poll: \(errorText(errno))") }
        }
    }

    /// Sends every byte, waiting for room when the socket's buffer is full.
    func send(_ bytes: [UInt8], doing activity: String) -> TLSProbeError? {
        var offset = 0
        while offset < bytes.count {
            let sent = sendOnce(bytes, from: offset)
            if sent > 0 { offset += sent; continue }
            let failure = errno
            if failure == EINTR { continue }
            if failure == EAGAIN || failure == EWOULDBLOCK {
                if let timeout = wait(for: Int16(POLLOUT), doing: activity) { return timeout }
                continue
            }
            return self.failure(failure, doing: activity)
        }
        return nil
    }

    /// One send attempt without waiting (an alert on the way out of a failed handshake).
    func sendWithoutWaiting(_ bytes: [UInt8]) {
        if !bytes.isEmpty { _ = sendOnce(bytes, from: 0) }
    }

    /// Up to `capacity` bytes once some arrive; a `closed` error when the peer ends or resets the
    /// connection, a `timeout` at the deadline.
    func receive(capacity: Int, doing activity: String) -> Result<[UInt8], TLSProbeError> {
        var buffer = [UInt8](repeating: 0, count: capacity)
        while true {
            if let timeout = wait(for: Int16(POLLIN), doing: activity) { return .failure(timeout) }
            // unsafe: recv writes at most `count` bytes into the array's own storage.
            let count = unsafe buffer.withUnsafeMutableBytes { unsafe recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.removeSubrange(count...)
                return .success(buffer)
            }
            if count == 0 { return .failure(TLSProbeError(.closed, "\(activity): the server closed the connection")) }
            let failure = errno
            if failure == EINTR || failure == EAGAIN || failure == EWOULDBLOCK { continue }
            return .failure(self.failure(failure, doing: activity))
        }
    }

    /// The numeric address and port of this end (`peer` false) or of the server.
    func address(peer: Bool) -> (host: String, port: UInt16)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        // unsafe: getsockname/getpeername write at most `length` bytes into `storage`, alive for the call.
        let result = unsafe withUnsafeMutablePointer(to: &storage) { pointer in
            unsafe pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                unsafe peer ? getpeername(descriptor, $0, &length) : getsockname(descriptor, $0, &length)
            }
        }
        guard result == 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        var port: UInt16 = 0
        // unsafe: the helper reads the sockaddr_storage and writes a NUL-terminated string of at
        // most `text.count` bytes into the array and the port into `port`.
        guard unsafe mw_socket_address_format(&storage, &text, text.count, &port) == 0 else { return nil }
        let bytes = text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return (String(decoding: bytes, as: UTF8.self), port)
    }

    private func sendOnce(_ bytes: [UInt8], from offset: Int) -> Int {
        // unsafe: send reads the array's bytes from `offset` (< count) to its end, alive for the call.
        unsafe bytes.withUnsafeBytes { buffer in
            unsafe Glibc.send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
        }
    }

    /// A send or receive error in words; EHOSTUNREACH on a hop-limited connection is the ICMP
    /// error the limit was set for (Linux reports time exceeded and host unreachable alike).
    private func failure(_ code: Int32, doing activity: String) -> TLSProbeError {
        if let hopLimit, code == EHOSTUNREACH {
            return TLSProbeError(.timeExceeded, "\(activity): an ICMP error (time exceeded or host unreachable) came back "
                                 + "for a segment sent with \(hopLimit.ipv6 ? "hop limit" : "TTL") \(hopLimit.ttl)")
        }
        return TLSProbeError(.closed, "\(activity): \(errorText(code))")
    }

    private func setOption(_ level: Int32, _ name: Int32, _ value: Int32) -> Bool {
        var value = value
        // unsafe: setsockopt reads one Int32 from `value`, alive for the call.
        return unsafe setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0
    }

    /// The connect's outcome (SO_ERROR) once the socket is writable or failed.
    private func pendingError() -> Int32 {
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        // unsafe: getsockopt writes one Int32 into `failure` and its length into `length`.
        guard unsafe getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &length) == 0 else { return errno }
        return failure
    }
}

/// errno's text, e.g. "Connection refused".
func errorText(_ code: Int32) -> String {
    // unsafe: strerror returns a NUL-terminated string, copied at once.
    guard let text = unsafe strerror(code) else { return "errno \(code)" }
    return unsafe String(cString: text)
}
