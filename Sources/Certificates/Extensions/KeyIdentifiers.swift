import Wire

/// subjectKeyIdentifier (2.5.29.14) and authorityKeyIdentifier (2.5.29.35).
enum KeyIdentifiers {
    static func decodeSubject(_ value: ByteCursor, into summary: inout ExtensionSummary) -> Bool {
        var outer = value
        guard let identifier = outer.readASN1(.octetString) else { return false }
        summary.subjectKeyIdentifier = CertificateView.range(identifier)
        return outer.isEmpty
    }

    /// `SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, authorityCertIssuer [1],
    /// authorityCertSerialNumber [2] }`: the key identifier is kept.
    static func decodeAuthority(_ value: ByteCursor, into summary: inout ExtensionSummary) -> Bool {
        var outer = value
        guard var sequence = outer.readASN1(.sequence) else { return false }
        if sequence.peekASN1Tag() == .context(0, constructed: false) {
            guard let identifier = sequence.readASN1(.context(0, constructed: false)) else { return false }
            summary.authorityKeyIdentifier = CertificateView.range(identifier)
        }
        while !sequence.isEmpty {
            guard sequence.readASN1Element() != nil else { return false }
        }
        return outer.isEmpty
    }
}
