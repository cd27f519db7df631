/// What a completed probe handshake showed.
public struct TLSProbeResult: Sendable {
    /// DER of every certificate the server sent, in order, leaf first (TLS 1.3 included).
    public var chain: [[UInt8]]
    /// 0x0303 for TLS 1.2, 0x0304 for TLS 1.3.
    public var protocolVersion: UInt16
    /// The cipher suite's IANA code.
    public var cipherSuite: UInt16
    /// The IANA named-group code of the key exchange (x25519 = 29, secp256r1 = 23, …) when known.
    public var group: UInt16?
    /// The protocol the server selected, when it selected one.
    public var alpn: String?
    /// The stapled OCSP response, when the server sent one.
    public var ocspResponse: [UInt8]?
    /// SCTs the server sent in the signed_certificate_timestamp TLS extension.
    public var extensionSCTs: Int
    public var localHost: String, localPort: UInt16, remoteHost: String, remotePort: UInt16
    /// Unix seconds (wall clock): before the connect, after the handshake.
    public var started: Double, finished: Double
    /// The versions the ClientHello offered, e.g. ["1.2", "1.3"].
    public var offeredVersions: [String]

    public init(chain: [[UInt8]], protocolVersion: UInt16, cipherSuite: UInt16, group: UInt16?, alpn: String?,
                ocspResponse: [UInt8]?, extensionSCTs: Int, localHost: String, localPort: UInt16,
                remoteHost: String, remotePort: UInt16, started: Double, finished: Double, offeredVersions: [String]) {
        self.chain = chain
        self.protocolVersion = protocolVersion
        self.cipherSuite = cipherSuite
        self.group = group
        self.alpn = alpn
        self.ocspResponse = ocspResponse
        self.extensionSCTs = extensionSCTs
        self.localHost = localHost
        self.localPort = localPort
        self.remoteHost = remoteHost
        self.remotePort = remotePort
        self.started = started
        self.finished = finished
        self.offeredVersions = offeredVersions
    }
}
