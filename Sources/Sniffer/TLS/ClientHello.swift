import Wire

/// What a ClientHello says (RFC 8446 §4.1.2; also TLS 1.0–1.2 and the SSLv2-compatible form).
public struct ClientHello: Sendable, Equatable {
    public var legacyVersion: TLSVersion
    public var serverName: String?
    public var alpn: [String] = []
    /// `supported_versions`, GREASE removed.
    public var supportedVersions: [TLSVersion] = []
    /// Groups offered in `key_share`, GREASE removed.
    public var keyShareGroups: [UInt16] = []
    /// Cipher suites offered, GREASE removed (SSLv2 3-byte kinds mapped when they are TLS suites).
    public var cipherSuites: [UInt16] = []
    /// Sent as an SSLv2 record (RFC 5246 Appendix E.2).
    public var isSSLv2Compatible = false
    /// The extensions' framing was broken; what came before the break was kept (clients in
    /// the wild send such hellos, and the server name is usually first).
    public var isMalformed = false

    /// Longest server name kept (a DNS name has at most 253 bytes; SNI allows 65,535): a longer
    /// one is cut here and the hello marked malformed.
    static let maxServerNameBytes = 255
    /// ALPN protocol names kept.
    static let maxProtocolNames = 16

    /// Heap bytes this hello's lists and strings take (about): what a session holding it
    /// reserves from the memcap, since a hello can carry tens of thousands of list entries.
    var heapBytes: Int {
        MemoryLayout<ClientHello>.stride + 2 * (cipherSuites.count + keyShareGroups.count + supportedVersions.count)
            + (serverName?.utf8.count ?? 0) + alpn.reduce(0) { $0 + $1.utf8.count + 16 }
    }

    /// A hello mitmwatch sent itself (a probe): what it offered.
    public init(offering versions: [TLSVersion], serverName: String?, alpn: [String], cipherSuites: [UInt16] = []) {
        legacyVersion = TLSVersion(rawValue: 0x0303)  // what TLS 1.3 clients send too (RFC 8446 §4.1.2)
        supportedVersions = versions
        self.serverName = serverName
        self.alpn = alpn
        self.cipherSuites = cipherSuites
    }

    /// Parses the body of a ClientHello handshake message (after the 4-byte message header).
    /// The cipher suites, ALPN list and server name come from `interner` when seen before.
    init?(body: consuming ByteCursor, interner: inout HelloInterner) {
        guard let version = body.readUInt16(), body.skip(32),
              body.readUInt8LengthPrefixed() != nil,
              let suites = body.readUInt16LengthPrefixed(),
              body.readUInt8LengthPrefixed() != nil
        else { return nil }
        legacyVersion = TLSVersion(rawValue: version)
        cipherSuites = interner.cipherSuites(suites)
        guard !body.isEmpty else { return }  // no extensions (SSLv3, early TLS)
        var extensions: ByteCursor
        if let declared = body.readUInt16LengthPrefixed() {
            extensions = declared
            isMalformed = !body.isEmpty
        } else {
            isMalformed = true
            guard body.skip(2) else { return }
            extensions = body.readRest()  // the list claims more than there is: read what is there
        }
        while !extensions.isEmpty {
            guard let type = extensions.readUInt16(), let data = extensions.readUInt16LengthPrefixed() else {
                isMalformed = true
                return
            }
            parseExtension(type, data, interner: &interner)
        }
    }

    private mutating func parseExtension(_ type: UInt16, _ data: consuming ByteCursor, interner: inout HelloInterner) {
        switch type {
        case 0:  // server_name: list of (name_type, HostName)
            guard var list = data.readUInt16LengthPrefixed() else { return }
            while let nameType = list.readUInt8(), var name = list.readUInt16LengthPrefixed() {
                guard nameType == 0 && serverName == nil else { continue }
                if name.remaining > Self.maxServerNameBytes {  // no DNS name is longer: keep its start
                    name.truncate(to: Self.maxServerNameBytes)
                    isMalformed = true
                }
                serverName = interner.serverName(name)
            }
        case 16:  // application_layer_protocol_negotiation
            guard var list = data.readUInt16LengthPrefixed() else { return }
            if alpn.isEmpty {
                alpn = interner.protocolNames(list, limit: Self.maxProtocolNames)
                return
            }
            // A second ALPN extension (hostile or broken): its names follow the first's.
            while let name = list.readUInt8LengthPrefixed(), alpn.count < Self.maxProtocolNames {
                alpn.append(name.utf8String)
            }
        case 43:  // supported_versions (ClientHello form: 8-bit length list)
            guard var list = data.readUInt8LengthPrefixed() else { return }
            supportedVersions.reserveCapacity(list.remaining / 2)
            while let raw = list.readUInt16() {
                let version = TLSVersion(rawValue: raw)
                if !version.isGREASE { supportedVersions.append(version) }
            }
        case 51:  // key_share: client_shares list of (group, key_exchange)
            guard var list = data.readUInt16LengthPrefixed() else { return }
            keyShareGroups.reserveCapacity(min(list.remaining / 4, 64))
            while let group = list.readUInt16(), list.readUInt16LengthPrefixed() != nil {
                if !TLSVersion(rawValue: group).isGREASE { keyShareGroups.append(group) }
            }
        default:
            break
        }
    }

    /// The SSLv2-compatible ClientHello (record header already removed; `body` starts after the
    /// message type byte): version, three lengths, cipher kinds, session id, challenge.
    init?(sslv2Body body: consuming ByteCursor) {
        guard let version = body.readUInt16(), let specsLength = body.readUInt16(),
              let sessionLength = body.readUInt16(), let challengeLength = body.readUInt16(),
              specsLength % 3 == 0, var specs = body.read(Int(specsLength)),
              body.skip(Int(sessionLength)), body.skip(Int(challengeLength))
        else { return nil }
        legacyVersion = TLSVersion(rawValue: version)
        isSSLv2Compatible = true
        while let kind = specs.readUInt24() {
            if kind >> 16 == 0 { cipherSuites.append(UInt16(kind & 0xffff)) }
        }
    }
}
