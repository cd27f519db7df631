import Wire

/// What a ServerHello says (RFC 8446 §4.1.3 and earlier versions, plus the pre-standard
/// TLS 1.3 draft layout).
public struct ServerHello: Sendable, Equatable {
    // Stored fields are ordered so that the hello takes 15 bytes in the handshake state.
    public var legacyVersion: TLSVersion
    public var cipherSuite: UInt16
    /// From `supported_versions` when present.
    public var selectedVersion: TLSVersion?
    /// A HelloRetryRequest: a ServerHello with the special random (RFC 8446 §4.1.3), after
    /// which the client sends a second ClientHello and the handshake goes on.
    public var isHelloRetryRequest = false
    public var keyShareGroup: UInt16?
    /// The extensions' framing was broken; what came before the break was kept.
    public var isMalformed = false
    private var storedSCTCount: UInt16?
    /// Extension types in order and the chosen ALPN (a server's fingerprint, for history).
    public var profile = ServerHelloProfile()

    /// Signed certificate timestamps sent in the `signed_certificate_timestamp` extension
    /// (RFC 6962 §3.3.1), counted; nil when the extension is absent. A list of at most 65,535
    /// bytes holds at most 32,767 (each has a 2-byte length), so 16 bits keep the count.
    public var sctCount: Int? {
        get { storedSCTCount.map(Int.init) }
        set { storedSCTCount = newValue.map { UInt16(clamping: $0) } }
    }

    /// The version the handshake continues with.
    public var negotiatedVersion: TLSVersion { selectedVersion ?? legacyVersion }

    private static let helloRetryRandom: [UInt8] = [
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
        0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
    ]

    init?(body: consuming ByteCursor) {
        guard let version = body.readUInt16(), let random = body.read(32) else { return nil }
        legacyVersion = TLSVersion(rawValue: version)
        var matchesRetryRandom = true
        for index in 0..<32 where random.peek(index) != Self.helloRetryRandom[index] {
            matchesRetryRandom = false
            break
        }
        isHelloRetryRequest = matchesRetryRandom
        if legacyVersion.usesDraftServerHelloLayout {
            guard let suite = body.readUInt16() else { return nil }
            cipherSuite = suite
        } else {
            guard body.readUInt8LengthPrefixed() != nil, let suite = body.readUInt16(), body.skip(1) else {
                return nil
            }
            cipherSuite = suite
        }
        guard !body.isEmpty else { return }
        guard var extensions = body.readUInt16LengthPrefixed() else {
            isMalformed = true
            return
        }
        while !extensions.isEmpty {
            guard let type = extensions.readUInt16(), var data = extensions.readUInt16LengthPrefixed() else {
                isMalformed = true
                return
            }
            profile.append(type: type)
            switch type {
            case 16:  // application_layer_protocol_negotiation: one ProtocolName in a list
                if var list = data.readUInt16LengthPrefixed(), let name = list.readUInt8LengthPrefixed() {
                    profile.setALPN(name)
                }
            case 43: selectedVersion = data.readUInt16().map(TLSVersion.init(rawValue:))
            case 18:  // signed_certificate_timestamp: SignedCertificateTimestampList
                var count = 0
                if var list = data.readUInt16LengthPrefixed() {
                    while list.readUInt16LengthPrefixed() != nil { count += 1 }
                }
                sctCount = count
            case 40, 51: keyShareGroup = data.readUInt16()  // key_share (40 in drafts before 23)
            default: break
            }
        }
    }

    /// SSLv2 SERVER-HELLO (body after the message type byte): the server's certificate travels
    /// inside it. Returns the hello and a cursor over the certificate.
    @_lifetime(copy body)
    static func sslv2(_ body: consuming ByteCursor) -> (ServerHello, ByteCursor)? {
        guard body.skip(2), let version = body.readUInt16(), let certificateLength = body.readUInt16(),
              body.readUInt16() != nil, body.readUInt16() != nil, let certificate = body.read(Int(certificateLength))
        else { return nil }
        let hello = ServerHello(legacyVersion: TLSVersion(rawValue: version), cipherSuite: 0)
        return (hello, certificate)
    }

    /// What a server answered mitmwatch's own hello (a probe), as its TLS library reports it.
    public init(negotiated version: TLSVersion, cipherSuite: UInt16, keyShareGroup: UInt16?, sctCount: Int?) {
        legacyVersion = version.rawValue >= 0x0304 ? TLSVersion(rawValue: 0x0303) : version
        selectedVersion = version.rawValue >= 0x0304 ? version : nil
        self.cipherSuite = cipherSuite
        self.keyShareGroup = keyShareGroup
        self.sctCount = sctCount
    }

    private init(legacyVersion: TLSVersion, cipherSuite: UInt16) {
        self.legacyVersion = legacyVersion
        self.cipherSuite = cipherSuite
    }
}
