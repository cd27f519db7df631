import COpenSSL

extension OpenSSLCertificate {
    /// Whether `issued` carries a valid signature by this certificate's public key; nil when
    /// OpenSSL cannot read that key.
    public func verifiesSignature(of issued: OpenSSLCertificate) -> Bool? {
        defer { ERR_clear_error() }
        // unsafe: get0 borrows this certificate's key; both certificates are alive for the calls.
        guard let key = unsafe X509_get0_pubkey(pointer) else { return nil }
        return unsafe X509_verify(issued.pointer, key) == 1
    }

    /// Whether its signature verifies with its own public key (false when the key is unreadable).
    public var isSignedByItsOwnKey: Bool {
        verifiesSignature(of: self) ?? false
    }
}
