import OpenSSLBridge

/// Whether `issued` carries a valid signature by the key of `issuer` (both DER), through OpenSSL.
/// Nil when either does not parse for OpenSSL.
enum SignatureCheck {
    static func verifies(issued: [UInt8], issuer: [UInt8]) -> Bool? {
        guard let certificate = OpenSSLCertificate(der: issued, exact: false),
              let authority = OpenSSLCertificate(der: issuer, exact: false) else { return nil }
        return authority.verifiesSignature(of: certificate)
    }
}
