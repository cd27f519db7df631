/// A TLS client connection made to see the chain a server (or whatever sits on the path) shows:
/// it completes the handshake whatever the chain — judging it is the caller's job.
public enum TLSProbe {
    /// The most bytes taken from the socket at once.
    static let receiveChunk = 16 * 1024

    /// Blocking; one connection; never longer than timeoutSeconds (+ a small margin); never
    /// crashes on any server behaviour.
    public static func run(_ request: TLSProbeRequest) -> Result<TLSProbeResult, TLSProbeError> {
        let started = ProbeClock.wallClock
        let addresses: (remote: SocketAddress, source: SocketAddress?)
        switch validate(request) {
        case .success(let valid): addresses = valid
        case .failure(let problem): return .failure(problem)
        }
        let clock = ProbeClock(timeoutSeconds: request.timeoutSeconds)
        let target = addresses.remote.isIPv6
            ? "[\(request.host)]:\(request.port)" : "\(request.host):\(request.port)"
        let socket: ProbeSocket
        switch ProbeSocket.connect(to: addresses.remote, from: addresses.source, clock: clock, naming: target) {
        case .success(let connected): socket = connected
        case .failure(let problem): return .failure(problem)
        }
        let connection: TLSClientConnection
        switch TLSClientConnection.make(request) {
        case .success(let made): connection = made
        case .failure(let problem): return .failure(problem)
        }
        if let ttl = request.clientHelloTTL, let problem = socket.limitHops(to: Int32(ttl), ipv6: addresses.remote.isIPv6) {
            return .failure(problem)
        }
        if let problem = handshake(connection, over: socket, with: target, limit: request.maxHandshakeBytes) {
            if request.clientHelloTTL != nil { socket.resetOnClose() }
            return .failure(problem)
        }
        let finished = ProbeClock.wallClock
        let local = socket.address(peer: false), remote = socket.address(peer: true)
        let result = TLSProbeResult(
            chain: connection.peerChain, protocolVersion: connection.protocolVersion,
            cipherSuite: connection.cipherSuite, group: connection.group, alpn: connection.selectedALPN,
            ocspResponse: connection.stapledOCSPResponse, extensionSCTs: connection.extensionSCTCount,
            localHost: local?.host ?? "", localPort: local?.port ?? 0,
            remoteHost: remote?.host ?? request.host, remotePort: remote?.port ?? request.port,
            started: started, finished: finished, offeredVersions: request.versions.offered)
        connection.shutdown()
        socket.sendWithoutWaiting(connection.takeOutput())
        return .success(result)
    }

    /// Moves bytes between libssl and the socket until the handshake completes or fails. The
    /// bytes read are bounded (a server streaming records that never finish the handshake stops
    /// at twice the message limit plus 64 KiB), and so is the time (the socket's deadline).
    private static func handshake(_ connection: TLSClientConnection, over socket: ProbeSocket, with target: String,
                                  limit: Int) -> TLSProbeError? {
        let byteLimit = 2 * limit + 64 * 1024
        var received = 0
        while true {
            switch connection.advance() {
            case .done:
                return socket.send(connection.takeOutput(), doing: "handshake with \(target)")
            case .failed(var problem):
                socket.sendWithoutWaiting(connection.takeOutput())
                problem.detail = "handshake with \(target): " + problem.detail
                return problem
            case .wantsInput:
                let activity = received == 0
                    ? "handshake with \(target): waiting for the server's first bytes"
                    : "handshake with \(target): waiting for the rest of the server's handshake (\(received) bytes so far)"
                if let problem = socket.send(connection.takeOutput(), doing: "handshake with \(target)") { return problem }
                switch socket.receive(capacity: receiveChunk, doing: activity) {
                case .success(let bytes):
                    received += bytes.count
                    if received > byteLimit {
                        return TLSProbeError(.handshakeTooLarge,
                                             "handshake with \(target): \(received) bytes without a complete handshake (limit \(byteLimit))")
                    }
                    connection.give(bytes)
                case .failure(let problem):
                    return problem
                }
            }
        }
    }

    /// The request's addresses, or what is wrong with it.
    private static func validate(_ request: TLSProbeRequest)
        -> Result<(remote: SocketAddress, source: SocketAddress?), TLSProbeError> {
        func invalid(_ detail: String) -> Result<(remote: SocketAddress, source: SocketAddress?), TLSProbeError> {
            .failure(TLSProbeError(.invalidRequest, detail))
        }
        guard let remote = SocketAddress(request.host, port: request.port) else {
            return invalid("host \(shown(request.host)) is not a numeric IPv4 or IPv6 address")
        }
        var source: SocketAddress?
        if let text = request.sourceAddress {
            guard let parsed = SocketAddress(text, port: 0), parsed.family == remote.family else {
                return invalid("source address \(shown(text)) is not a numeric address of the host's family")
            }
            source = parsed
        }
        guard request.port != 0 else { return invalid("port 0") }
        guard request.timeoutSeconds.isFinite, request.timeoutSeconds > 0, request.timeoutSeconds <= 86_400 else {
            return invalid("timeout \(request.timeoutSeconds) s is not in (0, 86400]")
        }
        guard (1...(1 << 30)).contains(request.maxHandshakeBytes) else {
            return invalid("maxHandshakeBytes \(request.maxHandshakeBytes) is not in 1...\(1 << 30)")
        }
        if let name = request.serverName {
            guard (1...255).contains(name.utf8.count), !name.utf8.contains(0) else {
                return invalid("server name \(shown(name)) is empty, longer than 255 bytes or contains NUL")
            }
        }
        for protocolName in request.alpn where !(1...255).contains(protocolName.utf8.count) {
            return invalid("ALPN protocol \(shown(protocolName)) is empty or longer than 255 bytes")
        }
        if let ttl = request.clientHelloTTL, !(1...255).contains(ttl) {
            return invalid("ClientHello TTL \(ttl) is not in 1...255")
        }
        guard request.alpn.reduce(0, { $0 + 1 + $1.utf8.count }) <= 65_535 else { return invalid("the ALPN list is too long") }
        return .success((remote, source))
    }

    /// A caller's string in an error: quoted, control characters escaped, at most 64 characters.
    private static func shown(_ text: String) -> String {
        text.count <= 64 ? text.debugDescription : String(text.prefix(64)).debugDescription + "…"
    }
}
