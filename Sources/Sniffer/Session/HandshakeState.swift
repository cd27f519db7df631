import Certificates
import Wire

/// The connection-wide view of a TLS handshake: who is client and server, what each hello said,
/// the certificate chains, and when nothing more can be learned (time to bypass the flow).
/// Directions are 0 (from the flow key's first endpoint) and 1 (from the second).
struct HandshakeState {
    var session: TLSSession
    /// Which direction carries the client's bytes, once known.
    private(set) var clientDirection: Int?
    /// A hello or a Certificate was parsed: this connection is TLS and gets a session record.
    private(set) var sawTLS = false
    private var done: (Bool, Bool) = (false, false)
    private var serverFlightComplete = false
    private var serverSentCCSBeforeCertificate = false
    private var serverReachedTLS = false
    private var certificateLostInGap = false
    /// Bytes reserved from the memcap for what `session` holds on the heap (hellos, the stapled
    /// OCSP response), given back when the tracker is released.
    private(set) var reservedBytes = 0

    /// The sender of direction 0 and of direction 1.
    private let senders: (Endpoint, Endpoint)

    init(session: TLSSession, senders: (Endpoint, Endpoint)) {
        self.session = session
        self.senders = senders
    }

    func isDone(_ direction: Int) -> Bool { direction == 0 ? done.0 : done.1 }

    /// Nothing more of interest will come: the server's side is over, and the client's too
    /// unless the server asked for a client certificate that has not come yet.
    /// The ClientHello must have been seen too: with reordered capture, a server's flight can be
    /// processed before the client's hello, which must not be lost to the bypass.
    var isComplete: Bool {
        guard let client = clientDirection else { return done.0 && done.1 }
        let serverDone = isDone(1 - client)
        return serverDone && (isDone(client) || (!session.certificateRequested && !session.clientHellos.isEmpty))
    }

    mutating func setRolesFromSYN(clientDirection direction: Int) {
        guard clientDirection == nil else { return }
        assignClient(direction, evidence: .syn)
    }

    func role(of direction: Int) -> EndpointRole? {
        guard let client = clientDirection else { return nil }
        return direction == client ? .client : .server
    }

    mutating func markDone(_ direction: Int) {
        if direction == 0 { done.0 = true } else { done.1 = true }
    }

    mutating func enteredTLS(_ direction: Int) {
        if role(of: direction) == .server { serverReachedTLS = true }
    }

    mutating func changeCipherSpec(from direction: Int) {
        if role(of: direction) == .server && session.serverChain == nil { serverSentCCSBeforeCertificate = true }
        markDone(direction)
    }

    mutating func gap(in direction: Int, lostCertificate: Bool) {
        session.gaps += 1
        if lostCertificate && role(of: direction) != .client { certificateLostInGap = true }
    }

    mutating func unobservable(_ reason: UnobservedReason) {
        if session.unobservedReason == nil { session.unobservedReason = reason }
    }

    // MARK: Handshake messages

    mutating func handshakeMessage(
        type: UInt8, body: consuming ByteCursor, isTruncated: Bool, from direction: Int,
        context: inout SnifferContext
    ) {
        switch type {
        case 1:
            guard let hello = ClientHello(body: body) else {
                context.counters.add(.dropHandshakeMalformed)
                return
            }
            clientHello(hello, from: direction, context: &context)
        case 2:
            guard let hello = ServerHello(body: body) else {
                context.counters.add(.dropHandshakeMalformed)
                return
            }
            serverHello(hello, from: direction, context: &context)
        case 11:
            let version = session.serverHello?.negotiatedVersion
            let format: CertificateChainView.Format = version?.isTLS13Family == true ? .tls13 : .tls12
            certificateMessage(body: body, format: format, isTruncated: isTruncated, from: direction,
                               context: &context)
        case 13:
            session.certificateRequested = true
        case 14:  // ServerHelloDone: the server's first flight is over
            serverFlightComplete = true
            markDone(direction)
            if !session.certificateRequested, !session.clientHellos.isEmpty, let client = clientDirection {
                markDone(client)
            }
        case 16:  // ClientKeyExchange: a client certificate, if any, came before it
            markDone(direction)
        case 22:  // CertificateStatus: status_type ocsp(1), then the OCSPResponse
            session.ocspStapled = true
            var status = body
            if status.readUInt8() == 1, let response = status.readUInt24LengthPrefixed(), response.remaining <= 64 << 10,
               session.ocspResponse == nil {
                guard reserve(response.remaining, context: &context) else { return }
                session.ocspResponse = Array(copying: response.bytes)
            }
        default:
            break
        }
    }

    mutating func clientHello(_ hello: ClientHello, from direction: Int,
                                        context: inout SnifferContext) {
        context.counters.add(hello.isSSLv2Compatible ? .sslv2Hellos : .clientHellos)
        sawTLS = true
        if clientDirection != direction { assignClient(direction, evidence: .clientHello) }
        if session.clientHellos.count < 4, reserve(hello.heapBytes, context: &context) {
            session.clientHellos.append(hello)
        }
        // The server already chose TLS 1.3 (its hello was processed first): nothing more here.
        if let server = session.serverHello, server.negotiatedVersion.isTLS13Family, !server.isHelloRetryRequest {
            markDone(direction)
        }
    }

    mutating func serverHello(_ hello: ServerHello, from direction: Int,
                                        context: inout SnifferContext) {
        context.counters.add(.serverHellos)
        sawTLS = true
        if clientDirection == nil { assignClient(1 - direction, evidence: .serverHello) }
        serverReachedTLS = true
        session.serverHello = hello
        if hello.negotiatedVersion.isTLS13Family && !hello.isHelloRetryRequest {
            // Everything after a TLS 1.3 ServerHello is encrypted, in both directions.
            context.counters.add(.tls13ChainsEncrypted)
            unobservable(.tls13Encrypted)
            markDone(direction)
            if !session.clientHellos.isEmpty { done = (true, true) }
        }
    }

    /// SSLv2 SERVER-HELLO carries the certificate itself; the rest of SSLv2 is encrypted.
    mutating func sslv2ServerHello(_ hello: ServerHello, certificate: consuming ByteCursor,
                                             from direction: Int, context: inout SnifferContext) {
        serverHello(hello, from: direction, context: &context)
        certificateMessage(body: certificate, format: .sslv2, isTruncated: false, from: direction,
                           context: &context)
        done = (true, true)
    }

    private mutating func certificateMessage(
        body: consuming ByteCursor, format: CertificateChainView.Format, isTruncated: Bool, from direction: Int,
        context: inout SnifferContext
    ) {
        context.counters.add(.certificateMessages)
        sawTLS = true
        if clientDirection == nil { assignClient(1 - direction, evidence: .guess) }
        let sender = role(of: direction) ?? .server
        if sender == .server { session.serverCertificateMessages += 1 } else { session.clientCertificateMessages += 1 }
        guard let view = CertificateChainView(body: body, format: format, isTruncated: isTruncated,
                                              maxCertificates: context.limits.maxCertificatesPerChain) else {
            context.counters.add(.dropCertificateMessageMalformed)
            if sender == .server { unobservable(.malformedCertificateMessage) }
            return
        }
        if isTruncated { context.counters.add(.dropCertificateMessageOverCap) }
        // Only the first Certificate message of each side is the chain (renegotiation aside).
        if sender == .server ? session.serverChain != nil : session.clientChain != nil { return }
        if view.certificatesOverCap > 0 {
            context.counters.add(.dropChainCertificatesOverCap, UInt64(view.certificatesOverCap))
        }
        var known: [KnownCertificate] = []
        known.reserveCapacity(4)
        var unparsable: [Int] = []
        view.forEach { der in
            let certificate = context.certificates.lookup(der)
            if certificate.layout == nil { unparsable.append(known.count) }
            known.append(certificate)
        }
        context.counters.add(.certificates, UInt64(known.count))
        if isTruncated && known.isEmpty {
            if sender == .server { unobservable(.certificateMessageOverCap) }
            return
        }
        let chain = ObservedChain(fingerprints: known.map(\.sha256), isTruncated: view.isTruncated,
                                  unparsablePositions: unparsable)
        if sender == .server && chain.isMalformed { context.counters.add(.malformedChains) }
        if sender == .server {
            session.serverChain = chain
        } else {
            session.clientChain = chain
        }
        let annotation = context.observer.certificates(view, known: known, from: sender, session: session,
                                                       at: context.now)
        // The session keeps the fingerprints and the annotation until it is reported: counted
        // against the memcap, never refused (what was detected is not dropped; the flow table
        // keeps room for one chain's worth before each segment).
        let bytes = known.count * MemoryLayout<CertificateFingerprint>.stride + unparsable.count * 8
            + (annotation?.heapBytes ?? 0)
        context.budget.take(bytes)
        reservedBytes += bytes
        if sender == .server {
            session.annotation = annotation
            if serverFlightComplete { markDone(direction) }
        }
    }

    /// Takes `bytes` from the memcap for session data, or counts `flow_state_memcap` and says no.
    private mutating func reserve(_ bytes: Int, context: inout SnifferContext) -> Bool {
        guard context.budget.reserve(bytes) else {
            context.counters.add(.dropFlowStateMemcap)
            return false
        }
        reservedBytes += bytes
        return true
    }

    private mutating func assignClient(_ direction: Int, evidence: TLSSession.RoleEvidence) {
        clientDirection = direction
        session.rolesDecidedBy = evidence
        session.client = direction == 0 ? senders.0 : senders.1
        session.server = direction == 0 ? senders.1 : senders.0
    }

    /// Settles the reason a chain is missing, once the session is over.
    mutating func finalize(endedBy end: SessionEnd, at time: Timestamp) {
        session.end = time
        session.endedBy = end
        guard session.serverChain == nil, session.unobservedReason == nil else { return }
        if certificateLostInGap {
            session.unobservedReason = .captureGap
        } else if !serverReachedTLS {
            session.unobservedReason = .serverNotSeen
        } else if serverFlightComplete || serverSentCCSBeforeCertificate {
            session.unobservedReason = .noCertificateMessage
        } else {
            session.unobservedReason = .handshakeIncomplete
        }
    }
}
