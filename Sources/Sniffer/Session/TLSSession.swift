import Certificates
/// One endpoint of a connection.
public struct Endpoint: Hashable, Sendable {
    public var address: IPAddress
    public var port: UInt16
    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }
    public var description: String { address.endpoint(port: port) }
}

/// Which side sent something.
public enum EndpointRole: String, Sendable {
    case client, server
}

/// The certificates of one side's (first) Certificate message, as fingerprints in the order sent.
public struct ObservedChain: Sendable, Equatable {
    public var fingerprints: [CertificateFingerprint]
    /// Certificates of the chain that are not DER X.509 (garbage, cut off, zero length), leaf first.
    /// A chain with any, or with no certificate at all, is malformed: anyone can send one, so it
    /// says nothing about interception.
    public var unparsablePositions: [Int]
    /// The message exceeded the per-flow cap; `fingerprints` lists the certificates that fit.
    /// (Last, so the flag packs into the padding after it in the handshake state.)
    public var isTruncated: Bool
    public init(fingerprints: [CertificateFingerprint], isTruncated: Bool, unparsablePositions: [Int] = []) {
        self.fingerprints = fingerprints
        self.isTruncated = isTruncated
        self.unparsablePositions = unparsablePositions
    }

    public var isMalformed: Bool { fingerprints.isEmpty || !unparsablePositions.isEmpty }
}

/// What an observer keeps about a session from its Certificate message to its end (detection's
/// findings, the chain an alert prints). It lives in the flow's handshake state, its bytes are
/// charged to the reassembly memcap, and it is handed back with the session when it ends.
public protocol SessionAnnotation: AnyObject, Sendable {
    /// Heap bytes it holds (charged to the memcap while the session is followed).
    var heapBytes: Int { get }
}

/// Why a session's server certificate chain is not in the record.
public enum UnobservedReason: String, Sendable {
    /// TLS 1.3 (or a draft of it): the Certificate message is encrypted.
    case tls13Encrypted = "tls13-encrypted"
    /// The server finished its handshake without a Certificate (resumption, PSK, anonymous).
    case noCertificateMessage = "no-certificate-message"
    /// No TLS from the server was captured (one-sided capture, or the server never answered).
    case serverNotSeen = "server-not-seen"
    /// The connection ended or went idle before the server's Certificate.
    case handshakeIncomplete = "handshake-incomplete"
    /// Bytes of the Certificate message were missing from the capture.
    case captureGap = "capture-gap"
    /// The Certificate message's framing was invalid.
    case malformedCertificateMessage = "certificate-message-malformed"
    /// The Certificate message was larger than the per-flow cap and no whole certificate fit.
    case certificateMessageOverCap = "certificate-message-over-cap"
    /// The reassembly memcap was reached while the message was being collected.
    case reassemblyMemcap = "reassembly-memcap"
}

/// Why a session record was written when it was.
public enum SessionEnd: String, Sendable {
    /// The handshake went past the point where anything more is visible: the flow is bypassed.
    case handshakeComplete = "handshake-complete"
    case connectionClosed = "connection-closed"
    case idleTimeout = "idle-timeout"
    case evicted = "evicted"
    case endOfCapture = "end-of-capture"
}

/// Everything the sniffer learned about one TLS connection.
public struct TLSSession: Sendable {
    public var id: UInt64
    public var start: Timestamp
    public var end: Timestamp
    public var client: Endpoint
    public var server: Endpoint
    /// How the client was told apart from the server.
    public var rolesDecidedBy: RoleEvidence = .guess
    /// Plaintext bytes the client sent before its ClientHello (STARTTLS, proxy requests).
    public var clientPreludeBytes = 0
    /// ClientHellos seen (two after a HelloRetryRequest; more in odd captures), at most four.
    public var clientHellos: [ClientHello] = []
    public var serverHello: ServerHello?
    public var serverChain: ObservedChain?
    public var clientChain: ObservedChain?
    public var certificateRequested = false
    public var ocspStapled = false
    /// The stapled OCSP response (CertificateStatus, RFC 6066 §8), DER, when at most 64 KiB.
    public var ocspResponse: [UInt8]?
    public var serverCertificateMessages = 0
    public var clientCertificateMessages = 0
    public var gaps = 0
    /// Bytes of overlapping TCP copies (retransmissions) that differed from the copy used, and
    /// the segments that carried them, both directions (see `StreamReassembler`). Non-zero means
    /// the endpoint may have received other bytes than the ones examined here.
    public var overlapInconsistentBytes = 0
    public var overlapInconsistentSegments = 0
    public var unobservedReason: UnobservedReason?
    public var endedBy: SessionEnd = .endOfCapture
    /// What the observer attached when it saw the server's chain (nil: nothing to keep).
    public var annotation: (any SessionAnnotation)?

    public init(id: UInt64, start: Timestamp, end: Timestamp, client: Endpoint, server: Endpoint) {
        self.id = id
        self.start = start
        self.end = end
        self.client = client
        self.server = server
    }

    public enum RoleEvidence: String, Sendable {
        case syn, clientHello = "client-hello", serverHello = "server-hello", guess
        /// mitmwatch was the client (a probe).
        case probe
    }

    /// The server name of the first ClientHello that had one.
    public var serverName: String? { clientHellos.lazy.compactMap(\.serverName).first }

    /// Distinct server names over all ClientHellos, in order.
    public var serverNames: [String] {
        var names: [String] = []
        for case let name? in clientHellos.map(\.serverName) where !names.contains(name) { names.append(name) }
        return names
    }

    /// The negotiated version, or the client's offer when no ServerHello was seen.
    public var version: TLSVersion? { serverHello?.negotiatedVersion }

    public var isChainObservable: Bool { serverChain != nil }
}

/// Receives what the TLS layer finds. `certificates` is called once per side's first Certificate
/// message while its bytes are still in place (zero-copy), with each certificate as the
/// certificate cache knows it (fingerprints, parsed layout); what it returns stays with the
/// session. `sessionEnded` is called once per session, when its record is final — with the
/// flow's first frames when the sniffer keeps them (`EvidenceLimits`).
public protocol TLSObserver {
    mutating func certificates(
        _ chain: borrowing CertificateChainView, known: [KnownCertificate], from sender: EndpointRole,
        session: borrowing TLSSession, at time: Timestamp
    ) -> (any SessionAnnotation)?
    mutating func sessionEnded(_ session: TLSSession)
    mutating func sessionEnded(_ session: TLSSession, packets: CapturedPackets)
}

extension TLSObserver {
    /// An observer that has no use for the frames lets them go.
    public mutating func sessionEnded(_ session: TLSSession, packets: CapturedPackets) { sessionEnded(session) }
}
