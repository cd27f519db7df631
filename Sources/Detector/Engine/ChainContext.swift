import Certificates
import Sniffer
import Wire

/// How the chain being judged was obtained.
public enum Observation: String, Sendable {
    /// Seen on the wire by the sniffer.
    case passive
    /// Fetched by mitmwatch itself as a TLS client through the gateway.
    case probe
}

/// What every rule judges: one server chain, borrowed where its bytes lie, with each
/// certificate as the certificate cache knows it (fingerprints, parsed layout), the session it
/// came in and when it was observed. A passive chain is viewed in the flow's buffers; a fetched
/// one (`withFetched`) in a Certificate message built from its DER: the rules cannot tell.
public struct ChainContext: ~Escapable {
    public let chain: CertificateChainView
    /// The certificates as sent, leaf first.
    public let certificates: [KnownCertificate]
    /// SHA-256 of each certificate, as `certificates` (the session record's own array).
    public let fingerprints: [CertificateFingerprint]
    public let session: TLSSession
    public let time: Timestamp
    public let observation: Observation

    @_lifetime(copy chain)
    public init(chain: CertificateChainView, certificates: [KnownCertificate], fingerprints: [CertificateFingerprint],
                session: TLSSession, time: Timestamp, observation: Observation) {
        self.chain = chain
        self.certificates = certificates
        self.fingerprints = fingerprints
        self.session = session
        self.time = time
        self.observation = observation
    }

    public var serverName: String? { session.serverName }
    public var leaf: KnownCertificate? { certificates.first }

    /// No certificate, or one our DER parser rejects: nothing here says "interception".
    public var isMalformed: Bool { certificates.isEmpty || certificates.contains { $0.layout == nil } }

    /// The DER of the certificate at `position` (for OpenSSL, on a cache miss): the copy made
    /// when the certificate cache first examined it, shared — no byte is copied here.
    public func der(at position: Int) -> [UInt8]? {
        certificates.indices.contains(position) ? certificates[position].der : nil
    }

    /// Every certificate's DER (for OpenSSL on a cache miss), shared as in `der(at:)`: one array
    /// of references.
    public func copyDER() -> [[UInt8]] { certificates.map(\.der) }

    /// Runs `body` over a chain that did not come from a capture (a probe's), DER leaf first, as
    /// the sniffer would have handed it over: the same certificate cache, the same context.
    public static func withFetched<Result>(
        _ der: [[UInt8]], session: TLSSession, at time: Timestamp, observation: Observation = .probe,
        cache: inout CertificateCache, _ body: (borrowing ChainContext) -> Result
    ) -> Result {
        let message = CertificateMessage.tls12Body(der)
        let known = der.map { cache.lookup($0.span) }
        let fingerprints = known.map(\.sha256)
        var session = session
        session.serverChain = ObservedChain(fingerprints: fingerprints, isTruncated: false,
                                            unparsablePositions: known.indices.filter { known[$0].layout == nil })
        let cursor = ByteCursor(message.span)
        guard let view = CertificateChainView(body: cursor, format: .tls12) else {
            preconditionFailure("a Certificate message built from whole certificates has valid framing")
        }
        let context = ChainContext(chain: view, certificates: known, fingerprints: fingerprints, session: session,
                                   time: time, observation: observation)
        return body(context)
    }
}

/// TLS 1.2 Certificate message bodies (RFC 5246 §7.4.2), for chains that arrive as DER.
enum CertificateMessage {
    static func tls12Body(_ der: [[UInt8]]) -> [UInt8] {
        let listLength = der.reduce(0) { $0 + 3 + $1.count }
        var body: [UInt8] = []
        body.reserveCapacity(3 + listLength)
        appendUInt24(listLength, to: &body)
        for certificate in der {
            appendUInt24(certificate.count, to: &body)
            body += certificate
        }
        return body
    }

    private static func appendUInt24(_ value: Int, to bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }
}
