import Certificates
import Wire

/// The connection-wide view of a TLS handshake: who is client and server, what each hello said,
/// the certificate chains, and when nothing more can be learned (time to bypass the flow).
/// Directions are 0 (from the flow key's first endpoint) and 1 (from the second).
struct HandshakeState {
    // The session record's fields, narrowed and ordered so that the 17-byte chains and the
    // 15-byte server hello are followed by narrower fields (120 bytes in all); the record itself
    // is built when asked for (`session(id:key:)`), identity and endpoints from the flow.
    private(set) var start: Timestamp
    /// ClientHellos seen (two after a HelloRetryRequest; more in odd captures), at most four.
    private(set) var clientHellos: [ClientHello] = []
    private var ocspResponse: [UInt8]?
    /// What the observer attached (an `any SessionAnnotation`, held as its object alone).
    private var annotation: AnyObject?
    private(set) var serverChain: ObservedChain?
    /// Bytes reserved from the memcap for what the session holds on the heap (hellos, the
    /// stapled OCSP response, chains' fingerprints, the annotation), given back when the
    /// tracker is released.
    private var reserved32: UInt32 = 0
    private var clientPrelude32: UInt32 = 0
    /// Counts, saturating at 2^32 - 1.
    private var gaps32: UInt32 = 0
    private var clientChain: ObservedChain?
    private var serverHello: ServerHello?
    private var serverCertificateMessages32: UInt32 = 0
    private var clientCertificateMessages32: UInt32 = 0
    private var flags: UInt16 = 0
    /// Which direction carries the client's bytes, or -1 while unknown.
    private var client8: Int8 = -1
    private var rolesDecidedBy: TLSSession.RoleEvidence = .guess
    private var unobservedReason: UnobservedReason?

    /// One bit each of `flags`.
    private enum Flag: UInt16 {
        /// A hello or a Certificate was parsed: this connection is TLS and gets a session record.
        case sawTLS = 1
        case done0 = 2, done1 = 4
        case serverFlightComplete = 8, serverSentCCSBeforeCertificate = 16, serverReachedTLS = 32
        case certificateLostInGap = 64, certificateRequested = 128, ocspStapled = 256
    }

    private func has(_ flag: Flag) -> Bool { flags & flag.rawValue != 0 }
    private mutating func set(_ flag: Flag) { flags |= flag.rawValue }

    init(start: Timestamp) {
        self.start = start
    }

    /// Which direction carries the client's bytes, once known.
    var clientDirection: Int? { client8 < 0 ? nil : Int(client8) }
    /// A hello or a Certificate was parsed: this connection is TLS and gets a session record.
    var sawTLS: Bool { has(.sawTLS) }
    var reservedBytes: Int { Int(reserved32) }
    private var serverFlightComplete: Bool { has(.serverFlightComplete) }
    private var certificateRequested: Bool { has(.certificateRequested) }

    /// Plaintext bytes the client sent before its ClientHello (STARTTLS, proxy requests).
    mutating func setClientPrelude(_ bytes: Int) { clientPrelude32 = UInt32(clamping: bytes) }

    /// The session record as it stands (`end` is the start until `finalize`).
    func session(id: UInt64, key: FlowKey, end: Timestamp? = nil, endedBy: SessionEnd = .endOfCapture,
                 overlap: (bytes: Int, segments: Int) = (0, 0)) -> TLSSession {
        let clientIsB = client8 == 1
        var session = TLSSession(id: id, start: start, end: end ?? start, client: clientIsB ? key.b : key.a,
                                 server: clientIsB ? key.a : key.b)
        session.rolesDecidedBy = rolesDecidedBy
        session.clientPreludeBytes = Int(clientPrelude32)
        session.clientHellos = clientHellos
        session.serverHello = serverHello
        session.serverChain = serverChain
        session.clientChain = clientChain
        session.certificateRequested = certificateRequested
        session.ocspStapled = has(.ocspStapled)
        session.ocspResponse = ocspResponse
        session.serverCertificateMessages = Int(serverCertificateMessages32)
        session.clientCertificateMessages = Int(clientCertificateMessages32)
        session.gaps = Int(gaps32)
        session.overlapInconsistentBytes = overlap.bytes
        session.overlapInconsistentSegments = overlap.segments
        session.unobservedReason = unobservedReason
        session.endedBy = endedBy
        session.annotation = annotation.flatMap { $0 as? any SessionAnnotation }
        return session
    }

    func isDone(_ direction: Int) -> Bool { has(direction == 0 ? .done0 : .done1) }

    /// Nothing more of interest will come: the server's side is over, and the client's too
    /// unless the server asked for a client certificate that has not come yet.
    /// The ClientHello must have been seen too: with reordered capture, a server's flight can be
    /// processed before the client's hello, which must not be lost to the bypass.
    var isComplete: Bool {
        guard let client = clientDirection else { return isDone(0) && isDone(1) }
        let serverDone = isDone(1 - client)
        return serverDone && (isDone(client) || (!certificateRequested && !clientHellos.isEmpty))
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
        set(direction == 0 ? .done0 : .done1)
    }

    mutating func enteredTLS(_ direction: Int) {
        if role(of: direction) == .server { set(.serverReachedTLS) }
    }

    mutating func changeCipherSpec(from direction: Int) {
        if role(of: direction) == .server && serverChain == nil { set(.serverSentCCSBeforeCertificate) }
        markDone(direction)
    }

    mutating func gap(in direction: Int, lostCertificate: Bool) {
        gaps32 = gaps32 == .max ? gaps32 : gaps32 + 1
        if lostCertificate && role(of: direction) != .client { set(.certificateLostInGap) }
    }

    mutating func unobservable(_ reason: UnobservedReason) {
        if unobservedReason == nil { unobservedReason = reason }
    }

    // MARK: Handshake messages

    mutating func handshakeMessage(
        type: UInt8, body: consuming ByteCursor, isTruncated: Bool, from direction: Int,
        context: inout SnifferContext
    ) {
        switch type {
        case 1:
            guard let hello = ClientHello(body: body, interner: &context.hellos) else {
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
            let version = serverHello?.negotiatedVersion
            let format: CertificateChainView.Format = version?.isTLS13Family == true ? .tls13 : .tls12
            certificateMessage(body: body, format: format, isTruncated: isTruncated, from: direction,
                               context: &context)
        case 13:
            set(.certificateRequested)
        case 14:  // ServerHelloDone: the server's first flight is over
            set(.serverFlightComplete)
            markDone(direction)
            if !certificateRequested, !clientHellos.isEmpty, let client = clientDirection {
                markDone(client)
            }
        case 16:  // ClientKeyExchange: a client certificate, if any, came before it
            markDone(direction)
        case 22:  // CertificateStatus: status_type ocsp(1), then the OCSPResponse
            set(.ocspStapled)
            var status = body
            if status.readUInt8() == 1, let response = status.readUInt24LengthPrefixed(), response.remaining <= 64 << 10,
               ocspResponse == nil {
                guard reserve(response.remaining, context: &context) else { return }
                ocspResponse = Array(copying: response.bytes)
            }
        default:
            break
        }
    }

    mutating func clientHello(_ hello: ClientHello, from direction: Int,
                                        context: inout SnifferContext) {
        context.counters.add(hello.isSSLv2Compatible ? .sslv2Hellos : .clientHellos)
        set(.sawTLS)
        if clientDirection != direction { assignClient(direction, evidence: .clientHello) }
        if clientHellos.count < 4, reserve(hello.heapBytes, context: &context) {
            clientHellos.append(hello)
        }
        // The server already chose TLS 1.3 (its hello was processed first): nothing more here.
        if let server = serverHello, server.negotiatedVersion.isTLS13Family, !server.isHelloRetryRequest {
            markDone(direction)
        }
    }

    mutating func serverHello(_ hello: ServerHello, from direction: Int,
                                        context: inout SnifferContext) {
        context.counters.add(.serverHellos)
        set(.sawTLS)
        if clientDirection == nil { assignClient(1 - direction, evidence: .serverHello) }
        set(.serverReachedTLS)
        serverHello = hello
        if hello.negotiatedVersion.isTLS13Family && !hello.isHelloRetryRequest {
            // Everything after a TLS 1.3 ServerHello is encrypted, in both directions.
            context.counters.add(.tls13ChainsEncrypted)
            unobservable(.tls13Encrypted)
            markDone(direction)
            if !clientHellos.isEmpty {
                markDone(0)
                markDone(1)
            }
        }
    }

    /// SSLv2 SERVER-HELLO carries the certificate itself; the rest of SSLv2 is encrypted.
    mutating func sslv2ServerHello(_ hello: ServerHello, certificate: consuming ByteCursor,
                                             from direction: Int, context: inout SnifferContext) {
        serverHello(hello, from: direction, context: &context)
        certificateMessage(body: certificate, format: .sslv2, isTruncated: false, from: direction,
                           context: &context)
        markDone(0)
        markDone(1)
    }

    private mutating func certificateMessage(
        body: consuming ByteCursor, format: CertificateChainView.Format, isTruncated: Bool, from direction: Int,
        context: inout SnifferContext
    ) {
        context.counters.add(.certificateMessages)
        set(.sawTLS)
        if clientDirection == nil { assignClient(1 - direction, evidence: .guess) }
        let sender = role(of: direction) ?? .server
        if sender == .server {
            serverCertificateMessages32 = serverCertificateMessages32 == .max ? .max : serverCertificateMessages32 + 1
        } else {
            clientCertificateMessages32 = clientCertificateMessages32 == .max ? .max : clientCertificateMessages32 + 1
        }
        guard let view = CertificateChainView(body: body, format: format, isTruncated: isTruncated,
                                              maxCertificates: context.limits.maxCertificatesPerChain) else {
            context.counters.add(.dropCertificateMessageMalformed)
            if sender == .server { unobservable(.malformedCertificateMessage) }
            return
        }
        if isTruncated { context.counters.add(.dropCertificateMessageOverCap) }
        // Only the first Certificate message of each side is the chain (renegotiation aside).
        if sender == .server ? serverChain != nil : clientChain != nil { return }
        if view.certificatesOverCap > 0 {
            context.counters.add(.dropChainCertificatesOverCap, UInt64(view.certificatesOverCap))
        }
        var known: [KnownCertificate] = []
        swap(&known, &context.knownScratch)
        defer {
            known.removeAll(keepingCapacity: true)
            swap(&known, &context.knownScratch)
        }
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
        let chain = ObservedChain(fingerprints: context.chains.fingerprints(of: known), isTruncated: view.isTruncated,
                                  unparsablePositions: unparsable)
        if sender == .server && chain.isMalformed { context.counters.add(.malformedChains) }
        if sender == .server {
            serverChain = chain
        } else {
            clientChain = chain
        }
        let snapshot = session(id: context.flowID, key: context.flowKey)
        let annotation = context.observer.certificates(view, known: known, from: sender, session: snapshot,
                                                       at: context.now)
        // The session keeps the fingerprints and the annotation until it is reported: counted
        // against the memcap, never refused (what was detected is not dropped; the flow table
        // keeps room for one chain's worth before each segment).
        let bytes = known.count * MemoryLayout<CertificateFingerprint>.stride + unparsable.count * 8
            + (annotation?.heapBytes ?? 0)
        context.budget.take(bytes)
        reserved32 = UInt32(clamping: Int(reserved32) + bytes)
        if sender == .server {
            self.annotation = annotation
            if serverFlightComplete { markDone(direction) }
        }
    }

    /// Takes `bytes` from the memcap for session data, or counts `flow_state_memcap` and says no.
    private mutating func reserve(_ bytes: Int, context: inout SnifferContext) -> Bool {
        guard context.budget.reserve(bytes) else {
            context.counters.add(.dropFlowStateMemcap)
            return false
        }
        reserved32 = UInt32(clamping: Int(reserved32) + bytes)
        return true
    }

    private mutating func assignClient(_ direction: Int, evidence: TLSSession.RoleEvidence) {
        client8 = Int8(direction)
        rolesDecidedBy = evidence
    }

    /// Settles the reason a chain is missing, once the session is over.
    mutating func finalize() {
        guard serverChain == nil, unobservedReason == nil else { return }
        if has(.certificateLostInGap) {
            unobservedReason = .captureGap
        } else if !has(.serverReachedTLS) {
            unobservedReason = .serverNotSeen
        } else if serverFlightComplete || has(.serverSentCCSBeforeCertificate) {
            unobservedReason = .noCertificateMessage
        } else {
            unobservedReason = .handshakeIncomplete
        }
    }
}
