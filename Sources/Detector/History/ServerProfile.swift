import Sniffer

/// A server's answer to an offer, as `server-profile-change` compares it: version, cipher,
/// key-share group, extension types in order, ALPN. The raw fields, not a hash of them.
public struct ServerProfile: Hashable, Sendable, CustomStringConvertible {
    public var version: UInt16
    public var cipherSuite: UInt16
    public var group: UInt16?
    /// Extension types and ALPN, inline (judging a session allocates nothing).
    public var shape: ServerHelloProfile

    public init(version: UInt16, cipherSuite: UInt16, group: UInt16?, extensionTypes: [UInt16], alpn: String?) {
        self.version = version
        self.cipherSuite = cipherSuite
        self.group = group
        shape = ServerHelloProfile(extensionTypes: extensionTypes, alpn: alpn)
    }

    public init(_ hello: ServerHello) {
        version = hello.negotiatedVersion.rawValue
        cipherSuite = hello.cipherSuite
        group = hello.keyShareGroup
        shape = hello.profile
    }

    public var extensionTypes: [UInt16] { shape.extensionTypes }
    public var alpn: String? { shape.alpn }

    public var description: String {
        var text = "\(HistoryTime.version(version)) cipher 0x\(String(cipherSuite, radix: 16))"
        if let group { text += " group 0x\(String(group, radix: 16))" }
        text += " extensions [\(extensionTypes.map { String($0) }.joined(separator: ","))]"
        if let alpn { text += " alpn \(alpn)" }
        return text
    }

    /// Reason codes: which fields differ.
    func differences(from other: ServerProfile) -> [String] {
        var codes: [String] = []
        if version != other.version { codes.append("version-changed") }
        if cipherSuite != other.cipherSuite { codes.append("cipher-changed") }
        if group != other.group { codes.append("group-changed") }
        if extensionTypes != other.extensionTypes || shape.moreTypes != other.shape.moreTypes { codes.append("extensions-changed") }
        if alpn != other.alpn { codes.append("alpn-changed") }
        return codes
    }
}

/// What the client offered, as far as the history rules compare answers: the same offer is
/// the same (TLS 1.3 offered, the hybrid post-quantum group offered) pair.
public struct ClientOffer: Hashable, Sendable {
    public var tls13: Bool
    public var postQuantum: Bool

    /// X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem), the hybrid browsers offer by default.
    public static let hybridGroup: UInt16 = 0x11EC

    public init(tls13: Bool, postQuantum: Bool) {
        self.tls13 = tls13
        self.postQuantum = postQuantum
    }

    public init(_ session: TLSSession) {
        let hellos = session.clientHellos
        tls13 = hellos.contains { $0.supportedVersions.contains { $0.isTLS13Family } }
        postQuantum = hellos.contains { $0.keyShareGroups.contains(Self.hybridGroup) }
    }
}
