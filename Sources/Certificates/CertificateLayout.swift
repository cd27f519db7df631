/// Where something lies inside a certificate's DER: a byte offset and a length.
public struct DERRange: Sendable, Hashable {
    public var start: Int32
    public var count: Int32

    public static let none = DERRange(start: 0, count: -1)

    public init(start: Int, count: Int) {
        self.start = Int32(truncatingIfNeeded: start)
        self.count = Int32(truncatingIfNeeded: count)
    }

    init(start: Int32, count: Int32) {
        self.start = start
        self.count = count
    }

    /// False for `.none` (a field the certificate does not have).
    public var isPresent: Bool { count >= 0 }
}

/// Everything the certificate view extracts, as scalars and byte ranges into the DER. A plain
/// value (no references, no heap): cheap to keep in the certificate cache after the bytes the
/// ranges point into are gone.
public struct CertificateLayout: Sendable, Hashable {
    public var tbs = DERRange.none
    public var version = 1
    /// INTEGER content octets, as stored (a leading 00 sign byte is kept).
    public var serial = DERRange.none
    /// OID content octets of the inner (TBSCertificate) and outer signature algorithms.
    public var tbsSignatureAlgorithm = DERRange.none
    public var signatureAlgorithm = DERRange.none
    /// Whole encoded Names (SEQUENCE header included): what issuer/subject matching compares.
    public var issuer = DERRange.none
    public var subject = DERRange.none
    public var notBefore: Int64 = 0
    public var notAfter: Int64 = 0
    /// Whole encoded SubjectPublicKeyInfo: what SPKI pins hash.
    public var subjectPublicKeyInfo = DERRange.none
    public var publicKeyAlgorithm = DERRange.none
    /// The algorithm parameters element (e.g. the named curve OID element), if any.
    public var publicKeyParameters = DERRange.none
    /// The subjectPublicKey BIT STRING's bits (after the unused-bits octet).
    public var publicKey = DERRange.none
    public var publicKeySize: Int?
    public var rsaExponent: UInt64?
    /// Contents of the Extensions SEQUENCE: the raw extension list.
    public var extensionList = DERRange.none
    /// The signature BIT STRING's bits.
    public var signatureValue = DERRange.none
    public var extensions = ExtensionSummary()
    public var notes: CertificateNotes = []
}

/// The extensions mitmwatch reads, decoded to scalars and ranges.
public struct ExtensionSummary: Sendable, Hashable {
    public var count = 0
    public var basicConstraintsPresent = false
    public var isCA = false
    public var pathLength: Int?
    /// KeyUsage bits, bit 0 (digitalSignature) as the lowest bit; nil when absent.
    public var keyUsage: UInt16?
    /// Contents of the ExtKeyUsage SEQUENCE OF OID.
    public var extendedKeyUsage = DERRange.none
    public var subjectKeyIdentifier = DERRange.none
    /// The keyIdentifier of AuthorityKeyIdentifier.
    public var authorityKeyIdentifier = DERRange.none
    /// Contents of the SubjectAltName GeneralNames SEQUENCE.
    public var subjectAltNames = DERRange.none
    /// Signed certificate timestamps embedded (1.3.6.1.4.1.11129.2.4.2); nil when absent.
    public var sctCount: Int?
    /// Contents of the AuthorityInfoAccess SEQUENCE.
    public var authorityInfoAccess = DERRange.none
    /// Contents of the CRLDistributionPoints SEQUENCE.
    public var crlDistributionPoints = DERRange.none
    /// Contents of the CertificatePolicies SEQUENCE.
    public var certificatePolicies = DERRange.none
}
