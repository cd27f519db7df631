/// Which TLS versions a probe offers.
public enum TLSProbeVersions: String, Sendable {
    /// Only TLS 1.2 is offered.
    case tls12 = "1.2"
    /// Only TLS 1.3 is offered.
    case tls13 = "1.3"
    /// TLS 1.2 and TLS 1.3.
    case any

    /// The versions offered, as written in records ("1.2", "1.3").
    public var offered: [String] {
        switch self {
        case .tls12: ["1.2"]
        case .tls13: ["1.3"]
        case .any: ["1.2", "1.3"]
        }
    }
}

/// One TLS client connection to make: where, with which SNI and versions, and its bounds.
public struct TLSProbeRequest: Sendable {
    /// A numeric IPv4 or IPv6 address (no brackets); resolving names is the caller's job.
    public var host: String
    public var port: UInt16
    /// The SNI; nil sends none.
    public var serverName: String?
    public var versions: TLSProbeVersions = .any
    /// The whole probe: connect and handshake.
    public var timeoutSeconds: Double = 10
    /// Offered in this order; empty sends no ALPN extension.
    public var alpn: [String] = ["h2", "http/1.1"]
    /// The largest handshake message (the server's certificate list) accepted. The bytes read
    /// before the handshake completes are bounded too, by twice this plus 64 KiB.
    public var maxHandshakeBytes: Int = Self.defaultMaxHandshakeBytes

    /// Real chains are a few kilobytes (rarely over 20 KiB); libssl decodes every certificate of
    /// a list in one call the deadline cannot interrupt (≈ 0.35 ms each in OpenSSL 3.0), so the
    /// limit also bounds that: 256 KiB holds ≈ 700 small certificates, ≈ 0.25 s of CPU.
    public static let defaultMaxHandshakeBytes = 256 * 1024
    /// A numeric address of the same family as `host`, bound before connecting when set.
    public var sourceAddress: String? = nil
    /// When set (1...255), the TCP connection is made as usual and everything after it — the
    /// ClientHello first — is sent with this IP TTL (IPv6 hop limit): it reaches only what sits at
    /// most this many hops away. A router's ICMP time exceeded ends the probe as `timeExceeded`.
    public var clientHelloTTL: Int? = nil

    public init(host: String, port: UInt16, serverName: String?) {
        self.host = host
        self.port = port
        self.serverName = serverName
    }
}
