import COpenSSL

extension OpenSSLCertificate {
    /// The DER SubjectPublicKeyInfo, as OpenSSL re-encodes it; nil when it cannot.
    public var subjectPublicKeyInfoDER: [UInt8]? {
        // unsafe: get borrows the key structure of this certificate, alive for the calls.
        guard let key = unsafe X509_get_X509_PUBKEY(pointer) else { return nil }
        let length = unsafe i2d_X509_PUBKEY(key, nil)
        guard length > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = unsafe bytes.withUnsafeMutableBufferPointer { buffer in
            // unsafe: i2d writes exactly `length` bytes (measured above) into the buffer.
            var cursor = buffer.baseAddress
            return unsafe i2d_X509_PUBKEY(key, &cursor)
        }
        return written == length ? bytes : nil
    }

    /// SHA-256 of `subjectPublicKeyInfoDER`, with the caller's hasher.
    public func subjectPublicKeyInfoSHA256(using hasher: SHA256Hasher) -> SHA256Digest? {
        subjectPublicKeyInfoDER.map { hasher.hash($0.span) }
    }
}
