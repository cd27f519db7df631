import Sniffer

/// What a ServerHello answered, for history: the same answer to the same kind of offer is one
/// profile. The TLS 1.3 sessions whose chain is encrypted still leave this trace.
public struct ServerHelloKey: Hashable, Sendable {
    /// Negotiated version and cipher suite (their wire values).
    public var version: UInt16
    public var cipherSuite: UInt16
    /// The key-share group the server chose; nil when it sent none (TLS 1.2).
    public var keyShareGroup: UInt16?
    /// Extension types in the order the server sent them and the ALPN protocol it chose, inline.
    public var shape: ServerHelloProfile
    /// What the client offered: TLS 1.3 in supported_versions, X25519MLKEM768 (0x11EC) in key_share.
    public var clientOfferedTLS13: Bool
    public var clientOfferedMLKEM: Bool
    public var observation: String

    public init(version: UInt16, cipherSuite: UInt16, keyShareGroup: UInt16?, extensionTypes: [UInt16], alpn: String?,
                clientOfferedTLS13: Bool, clientOfferedMLKEM: Bool, observation: String) {
        self.version = version
        self.cipherSuite = cipherSuite
        self.keyShareGroup = keyShareGroup
        shape = ServerHelloProfile(extensionTypes: extensionTypes, alpn: alpn)
        self.clientOfferedTLS13 = clientOfferedTLS13
        self.clientOfferedMLKEM = clientOfferedMLKEM
        self.observation = observation
    }

    /// From a ServerHello, without copying its profile into arrays.
    public init(_ hello: ServerHello, clientOfferedTLS13: Bool, clientOfferedMLKEM: Bool, observation: String) {
        version = hello.negotiatedVersion.rawValue
        cipherSuite = hello.cipherSuite
        keyShareGroup = hello.keyShareGroup
        shape = hello.profile
        self.clientOfferedTLS13 = clientOfferedTLS13
        self.clientOfferedMLKEM = clientOfferedMLKEM
        self.observation = observation
    }

    /// Extension types in the order the server sent them.
    public var extensionTypes: [UInt16] { shape.extensionTypes }
    /// The ALPN protocol the server chose (nil: none, or not visible).
    public var alpn: String? { shape.alpn }

    /// The extension types as the store keeps them: decimal, comma-separated ("43,51").
    public var extensionTypesText: String { extensionTypes.map { String($0) }.joined(separator: ",") }
}

/// One ServerHello profile of a name with when and how often it was seen (`profiles`).
public struct ProfileObservation: Sendable {
    public var name: ObservedName
    public var key: ServerHelloKey
    public var firstSeen: Int64
    public var lastSeen: Int64
    public var count: Int

    public init(name: ObservedName, key: ServerHelloKey, firstSeen: Int64, lastSeen: Int64, count: Int) {
        self.name = name
        self.key = key
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.count = count
    }
}
