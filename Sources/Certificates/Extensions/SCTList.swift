import Wire

/// Embedded SCT list (1.3.6.1.4.1.11129.2.4.2, RFC 6962 §3.3): an OCTET STRING holding the
/// TLS-encoded `SignedCertificateTimestampList` (u16 length, then u16-prefixed SCTs).
enum SCTList {
    static func decode(_ value: ByteCursor, into summary: inout ExtensionSummary) -> Bool {
        var outer = value
        guard let octets = outer.readASN1(.octetString) else { return false }
        var tls = octets
        guard var list = tls.readUInt16LengthPrefixed(), tls.isEmpty else { return false }
        var count = 0
        while !list.isEmpty {
            guard let sct = list.readUInt16LengthPrefixed(), !sct.isEmpty else { return false }
            count += 1
        }
        summary.sctCount = count
        return outer.isEmpty
    }
}
