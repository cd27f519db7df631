import Wire

/// What names and identifies a certificate — its digests, serial, names, key identifier and
/// validity — without the rest of a `CertificateDescription` (every extension, attribute and
/// alternative name as text): what an indicator keeps of its certificate, made at every start
/// for each built-in indicator. Each field is the text `CertificateDescription` gives.
public struct CertificateIdentity: Sendable, Equatable {
    public var sha256: String
    public var sha1: String
    public var spkiSHA256: String
    /// INTEGER content octets as stored, uppercase hex.
    public var serialNumberHex: String
    /// RFC 2253.
    public var subject: String
    public var issuer: String
    /// The subject's first commonName, if it has one.
    public var subjectCommonName: String?
    public var subjectKeyIdentifier: String?
    public var notBefore: Int64
    public var notAfter: Int64

    public init(_ view: borrowing CertificateView) {
        let layout = view.layout
        sha256 = CertificateHasher.sha256(view.der).description
        sha1 = CertificateHasher.sha1Hex(view.der)
        spkiSHA256 = CertificateHasher.sha256(view.bytes(layout.subjectPublicKeyInfo)).description
        serialNumberHex = ByteCursor(view.bytes(layout.serial)).hexString.uppercased()
        subject = DistinguishedName.rfc2253(view.bytes(layout.subject)) ?? ""
        issuer = DistinguishedName.rfc2253(view.bytes(layout.issuer)) ?? ""
        subjectCommonName = DistinguishedName.values(view.bytes(layout.subject), dotted: "2.5.4.3").first
        let summary = layout.extensions
        subjectKeyIdentifier = summary.subjectKeyIdentifier.isPresent
            ? ByteCursor(view.bytes(summary.subjectKeyIdentifier)).hexString : nil
        notBefore = layout.notBefore
        notAfter = layout.notAfter
    }
}
