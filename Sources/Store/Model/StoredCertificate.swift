import Certificates

/// A certificate as the store keeps it, once per SHA-256: its DER and a parsed summary.
public struct StoredCertificate: Sendable {
    public var sha256: CertificateFingerprint
    public var der: [UInt8]
    public var subject: String?
    public var issuer: String?
    /// Unix seconds; nil when the certificate did not parse.
    public var notBefore: Int64?
    public var notAfter: Int64?
    public var spkiSHA256: CertificateFingerprint?
    public var isCA: Bool?

    public init(_ known: KnownCertificate) {
        sha256 = known.sha256
        der = known.der
        subject = known.subjectName
        issuer = known.issuerName
        notBefore = known.layout?.notBefore
        notAfter = known.layout?.notAfter
        spkiSHA256 = known.spkiSHA256
        isCA = known.layout?.extensions.isCA
    }
}
