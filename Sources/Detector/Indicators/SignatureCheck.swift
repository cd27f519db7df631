import COpenSSL

/// Whether `issued` carries a valid signature by the key of `issuer` (both DER), through OpenSSL.
/// Nil when either does not parse for OpenSSL.
enum SignatureCheck {
    static func verifies(issued: [UInt8], issuer: [UInt8]) -> Bool? {
        guard let certificate = unsafe decode(issued) else { return nil }
        defer { unsafe X509_free(certificate) }
        guard let authority = unsafe decode(issuer) else { return nil }
        defer { unsafe X509_free(authority) }
        // unsafe: both certificates are alive until the deferred frees; get0 does not transfer ownership.
        guard let key = unsafe X509_get0_pubkey(authority) else { return nil }
        let result = unsafe X509_verify(certificate, key)
        ERR_clear_error()
        return result == 1
    }

    private static func decode(_ der: [UInt8]) -> OpaquePointer? {
        unsafe der.withUnsafeBufferPointer { buffer in
            // unsafe: d2i reads `count` bytes from the array's storage, alive for the call.
            var cursor = buffer.baseAddress
            return unsafe d2i_X509(nil, &cursor, buffer.count)
        }
    }
}
