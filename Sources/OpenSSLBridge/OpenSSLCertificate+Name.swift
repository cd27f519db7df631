import COpenSSL

extension OpenSSLCertificate {
    /// How a certificate answers for a name.
    public enum NameMatch: Sendable, Equatable {
        case matches
        /// It is for other names: the error a verification would report, at depth 0.
        case mismatch(VerificationError)
        /// OpenSSL cannot use the name (a malformed IP address, an internal error).
        case unusable
    }

    /// `X509_check_host` (no flags) or `X509_check_ip_asc`, as a TLS client checks its peer.
    /// A name holding a NUL byte is the caller's to reject (OpenSSL would ignore a final one).
    public func match(_ name: ExpectedName) -> NameMatch {
        defer { ERR_clear_error() }
        let result: Int32
        let error: Int32
        switch name {
        case .ipAddress(let address):
            // unsafe: the C string is a temporary copy alive for the call; the certificate is alive.
            result = unsafe X509_check_ip_asc(pointer, address, 0)
            error = X509_V_ERR_IP_ADDRESS_MISMATCH
        case .host(let host):
            // unsafe: as above; the length is the UTF-8 byte count of that string.
            result = unsafe X509_check_host(pointer, host, host.utf8.count, 0, nil)
            error = X509_V_ERR_HOSTNAME_MISMATCH
        }
        if result == 1 { return .matches }
        if result < 0 { return .unusable }
        return .mismatch(VerificationError(code: error, depth: 0))
    }
}
