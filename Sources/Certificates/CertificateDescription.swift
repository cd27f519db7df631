import Wire

/// Every field of a certificate as text and numbers: what `mitmwatch inspect` prints and what
/// the differential test compares with OpenSSL. Built on demand from a view (allocates).
public struct CertificateDescription: Sendable, Equatable {
    public var versionNumber: Int
    /// INTEGER content octets as stored, uppercase hex (a leading 00 sign byte is kept).
    public var serialNumberHex: String
    public var signatureAlgorithmOID: String
    public var signatureAlgorithmName: String?
    public var issuer: String
    public var subject: String
    public var issuerAttributes: NameAttributes
    public var subjectAttributes: NameAttributes
    public var notBefore: Int64
    public var notAfter: Int64
    public var publicKeyAlgorithmOID: String
    public var publicKeyAlgorithmName: String?
    public var publicKeyCurveOID: String?
    /// ECS-style curve name (`nistp256`), when known.
    public var publicKeyCurveName: String? { publicKeyCurveOID.flatMap { AlgorithmNames.curves[$0] } }
    public var publicKeySize: Int?
    public var rsaExponent: UInt64?
    public var sha256: String
    public var sha1: String
    public var spkiSHA256: String
    public var isCA: Bool?
    public var pathLength: Int?
    public var keyUsage: [String]?
    public var extendedKeyUsage: [String]?
    public var subjectKeyIdentifier: String?
    public var authorityKeyIdentifier: String?
    public var sanDNS: [String] = []
    public var sanIP: [String] = []
    public var sanEmail: [String] = []
    public var sanURI: [String] = []
    public var sctCount: Int?
    public var ocspURIs: [String] = []
    public var caIssuerURIs: [String] = []
    public var crlDistributionURIs: [String] = []
    public var policyOIDs: [String]?
    public var extensions: [ExtensionEntry] = []
    public var notes: [String]

    public struct ExtensionEntry: Sendable, Equatable {
        public var oid: String
        public var critical: Bool
    }

    public struct NameAttributes: Sendable, Equatable {
        public var commonName: [String]
        public var organization: [String]
        public var organizationalUnit: [String]
        public var country: [String]
        public var locality: [String]
        public var stateOrProvince: [String]

        init(_ name: Span<UInt8>) {
            commonName = DistinguishedName.values(name, dotted: "2.5.4.3")
            organization = DistinguishedName.values(name, dotted: "2.5.4.10")
            organizationalUnit = DistinguishedName.values(name, dotted: "2.5.4.11")
            country = DistinguishedName.values(name, dotted: "2.5.4.6")
            locality = DistinguishedName.values(name, dotted: "2.5.4.7")
            stateOrProvince = DistinguishedName.values(name, dotted: "2.5.4.8")
        }
    }

    /// All alternative names, in certificate order, as text (ECS `x509.alternative_names`).
    public var alternativeNames: [String] = []

    public init(_ view: borrowing CertificateView) {
        let layout = view.layout
        versionNumber = layout.version
        serialNumberHex = ByteCursor(view.bytes(layout.serial)).hexString.uppercased()
        signatureAlgorithmOID = OID.dotted(view.bytes(layout.signatureAlgorithm)) ?? "?"
        signatureAlgorithmName = AlgorithmNames.signature[signatureAlgorithmOID]
        issuer = DistinguishedName.rfc2253(view.bytes(layout.issuer)) ?? ""
        subject = DistinguishedName.rfc2253(view.bytes(layout.subject)) ?? ""
        issuerAttributes = NameAttributes(view.bytes(layout.issuer))
        subjectAttributes = NameAttributes(view.bytes(layout.subject))
        notBefore = layout.notBefore
        notAfter = layout.notAfter
        publicKeyAlgorithmOID = OID.dotted(view.bytes(layout.publicKeyAlgorithm)) ?? "?"
        publicKeyAlgorithmName = AlgorithmNames.publicKey[publicKeyAlgorithmOID]
        var parameters = ByteCursor(view.bytes(layout.publicKeyParameters))
        if let curve = parameters.readASN1(.objectIdentifier) { publicKeyCurveOID = OID.dotted(curve.bytes) }
        publicKeySize = layout.publicKeySize
        rsaExponent = layout.rsaExponent
        sha256 = CertificateHasher.sha256(view.der).description
        sha1 = CertificateHasher.sha1Hex(view.der)
        spkiSHA256 = CertificateHasher.sha256(view.bytes(layout.subjectPublicKeyInfo)).description
        let summary = layout.extensions
        if summary.basicConstraintsPresent {
            isCA = summary.isCA
            pathLength = summary.pathLength
        }
        keyUsage = summary.keyUsage.map { bits in
            KeyUsage.names.enumerated().filter { bits & (1 << UInt16($0.offset)) != 0 }.map(\.element)
        }
        if summary.extendedKeyUsage.isPresent {
            var oids: [String] = []
            var cursor = ByteCursor(view.bytes(summary.extendedKeyUsage))
            while let oid = cursor.readASN1(.objectIdentifier) { oids.append(OID.dotted(oid.bytes) ?? "?") }
            extendedKeyUsage = oids
        }
        if summary.subjectKeyIdentifier.isPresent {
            subjectKeyIdentifier = ByteCursor(view.bytes(summary.subjectKeyIdentifier)).hexString
        }
        if summary.authorityKeyIdentifier.isPresent {
            authorityKeyIdentifier = ByteCursor(view.bytes(summary.authorityKeyIdentifier)).hexString
        }
        var dns: [String] = [], ip: [String] = [], email: [String] = [], uri: [String] = [], all: [String] = []
        if summary.subjectAltNames.isPresent {
            _ = GeneralNames.forEach(view.bytes(summary.subjectAltNames)) { kind, value in
                guard let text = GeneralNames.text(kind, value) else { return }
                all.append(text)
                switch kind {
                case .dns: dns.append(text)
                case .ipAddress: ip.append(text)
                case .email: email.append(text)
                case .uri: uri.append(text)
                default: break
                }
            }
        }
        sanDNS = dns
        sanIP = ip
        sanEmail = email
        sanURI = uri
        alternativeNames = all
        sctCount = summary.sctCount
        if summary.authorityInfoAccess.isPresent {
            var ocsp: [String] = [], issuers: [String] = []
            var cursor = ByteCursor(view.bytes(summary.authorityInfoAccess))
            while var description = cursor.readASN1(.sequence), let method = description.readASN1(.objectIdentifier) {
                let methodText = OID.dotted(method.bytes)
                _ = GeneralNames.forEach(description.readRest().bytes) { kind, value in
                    guard kind == .uri, let text = GeneralNames.text(kind, value) else { return }
                    if methodText == "1.3.6.1.5.5.7.48.1" { ocsp.append(text) }
                    if methodText == "1.3.6.1.5.5.7.48.2" { issuers.append(text) }
                }
            }
            ocspURIs = ocsp
            caIssuerURIs = issuers
        }
        if summary.crlDistributionPoints.isPresent {
            crlDistributionURIs = Self.distributionPointURIs(view.bytes(summary.crlDistributionPoints))
        }
        if summary.certificatePolicies.isPresent {
            var oids: [String] = []
            var cursor = ByteCursor(view.bytes(summary.certificatePolicies))
            while var policy = cursor.readASN1(.sequence), let oid = policy.readASN1(.objectIdentifier) {
                oids.append(OID.dotted(oid.bytes) ?? "?")
            }
            policyOIDs = oids
        }
        var entries: [ExtensionEntry] = []
        var list = ByteCursor(view.bytes(layout.extensionList))
        while var entry = list.readASN1(.sequence), let oid = entry.readASN1(.objectIdentifier) {
            var critical = false
            if entry.peekASN1Tag() == .boolean, let flag = entry.readASN1(.boolean) { critical = flag.peek(0) != 0 }
            entries.append(ExtensionEntry(oid: OID.dotted(oid.bytes) ?? "?", critical: critical))
        }
        extensions = entries
        var notes = layout.notes
        // Names are walked on demand only (not on the packet path), so this note is made here.
        if !NameStrings.usesOnlyModernStrings(ByteCursor(view.bytes(layout.subject)))
            || !NameStrings.usesOnlyModernStrings(ByteCursor(view.bytes(layout.issuer))) {
            notes.insert(.legacyStringType)
        }
        self.notes = notes.names
    }

    /// URIs of `distributionPoint [0] { fullName [0] GeneralNames }` entries.
    private static func distributionPointURIs(_ contents: Span<UInt8>) -> [String] {
        var uris: [String] = []
        var cursor = ByteCursor(contents)
        while var point = cursor.readASN1(.sequence) {
            guard var name = point.readASN1(.context(0, constructed: true)),
                  let fullName = name.readASN1(.context(0, constructed: true)) else { continue }
            _ = GeneralNames.forEach(fullName.bytes) { kind, value in
                if kind == .uri, let text = GeneralNames.text(kind, value) { uris.append(text) }
            }
        }
        return uris
    }
}

/// Algorithm names in the style ECS recommends (Go's crypto/x509 names): the one table, by dotted
/// OID, that `CertificateDescription` and the alert writer (by content octets) both read.
public enum AlgorithmNames {
    public static let signatureList: [(dotted: String, name: StaticString)] = [
        ("1.2.840.113549.1.1.2", "MD2-RSA"), ("1.2.840.113549.1.1.4", "MD5-RSA"),
        ("1.2.840.113549.1.1.5", "SHA1-RSA"), ("1.2.840.113549.1.1.11", "SHA256-RSA"),
        ("1.2.840.113549.1.1.12", "SHA384-RSA"), ("1.2.840.113549.1.1.13", "SHA512-RSA"),
        ("1.2.840.113549.1.1.14", "SHA224-RSA"), ("1.2.840.113549.1.1.10", "RSASSA-PSS"),
        ("1.2.840.10040.4.3", "DSA-SHA1"), ("2.16.840.1.101.3.4.3.2", "DSA-SHA256"),
        ("1.2.840.10045.4.1", "ECDSA-SHA1"), ("1.2.840.10045.4.3.2", "ECDSA-SHA256"),
        ("1.2.840.10045.4.3.3", "ECDSA-SHA384"), ("1.2.840.10045.4.3.4", "ECDSA-SHA512"),
        ("1.3.101.112", "Ed25519"), ("1.3.101.113", "Ed448"), ("1.2.643.7.1.1.3.2", "GOST2012-256"),
        ("1.2.643.7.1.1.3.3", "GOST2012-512"), ("2.16.840.1.101.3.4.3.17", "ML-DSA-44"),
        ("2.16.840.1.101.3.4.3.18", "ML-DSA-65"), ("2.16.840.1.101.3.4.3.19", "ML-DSA-87"),
    ]
    public static let publicKeyList: [(dotted: String, name: StaticString)] = [
        ("1.2.840.113549.1.1.1", "RSA"), ("1.2.840.113549.1.1.10", "RSA-PSS"), ("1.2.840.10045.2.1", "ECDSA"),
        ("1.2.840.10040.4.1", "DSA"), ("1.3.101.112", "Ed25519"), ("1.3.101.113", "Ed448"),
        ("1.3.101.110", "X25519"), ("1.3.101.111", "X448"), ("1.2.643.7.1.1.1.1", "GOST2012-256"),
        ("1.2.643.7.1.1.1.2", "GOST2012-512"), ("2.16.840.1.101.3.4.3.17", "ML-DSA-44"),
        ("2.16.840.1.101.3.4.3.18", "ML-DSA-65"), ("2.16.840.1.101.3.4.3.19", "ML-DSA-87"),
    ]
    static let signature = dictionary(signatureList)
    static let publicKey = dictionary(publicKeyList)
    static let curves: [String: String] = [
        "1.2.840.10045.3.1.7": "nistp256", "1.3.132.0.34": "nistp384", "1.3.132.0.35": "nistp521",
        "1.3.132.0.33": "nistp224", "1.2.840.10045.3.1.1": "nistp192", "1.3.132.0.10": "secp256k1",
    ]

    private static func dictionary(_ list: [(dotted: String, name: StaticString)]) -> [String: String] {
        Dictionary(list.map { ($0.dotted, "\($0.name)") }, uniquingKeysWith: { first, _ in first })
    }
}
