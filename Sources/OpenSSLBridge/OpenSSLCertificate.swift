import COpenSSL

/// A certificate decoded by OpenSSL (`X509`), owned: freed when the wrapper goes.
///
/// Not `Sendable`: OpenSSL fills caches inside an `X509` on first use; keep one per thread.
@safe
public final class OpenSSLCertificate {
    let pointer: OpaquePointer

    /// Nil when OpenSSL cannot parse `der` as a certificate. With `exact` (as a TLS client checks
    /// a Certificate message entry) bytes after the certificate are an error too; without it they
    /// are ignored (a `TRUSTED CERTIFICATE` block's trust settings).
    public convenience init?(der: [UInt8], exact: Bool = true) {
        let decoded: OpaquePointer? = unsafe der.withUnsafeBufferPointer { buffer in
            unsafe Self.decode(buffer, exact: exact)
        }
        guard let decoded = unsafe decoded else { return nil }
        unsafe self.init(owning: decoded)
    }

    /// As `init(der:exact:)`, from bytes that need not be copied first.
    public convenience init?(der: Span<UInt8>, exact: Bool = true) {
        let decoded: OpaquePointer? = unsafe der.withUnsafeBufferPointer { buffer in
            unsafe Self.decode(buffer, exact: exact)
        }
        guard let decoded = unsafe decoded else { return nil }
        unsafe self.init(owning: decoded)
    }

    /// Takes over one reference to `certificate` (released in deinit).
    @unsafe
    init(owning certificate: OpaquePointer) {
        unsafe pointer = certificate
    }

    /// A wrapper of its own for a certificate OpenSSL owns (one of a verified chain): takes a
    /// reference, so the wrapper outlives the structure it came from.
    @unsafe
    convenience init(retaining certificate: OpaquePointer) {
        // unsafe: the caller vouches that `certificate` is a live X509; up_ref cannot fail for one.
        _ = unsafe X509_up_ref(certificate)
        unsafe self.init(owning: certificate)
    }

    deinit {
        unsafe X509_free(pointer)
    }

    @unsafe
    private static func decode(_ buffer: UnsafeBufferPointer<UInt8>, exact: Bool) -> OpaquePointer? {
        defer { ERR_clear_error() }
        // unsafe: d2i reads at most `count` bytes from `buffer`, alive for the call, and advances
        // `cursor` past what it consumed.
        var cursor = buffer.baseAddress
        guard let certificate = unsafe d2i_X509(nil, &cursor, buffer.count) else { return nil }
        if exact, unsafe cursor != buffer.baseAddress.map({ unsafe $0 + buffer.count }) {
            unsafe X509_free(certificate)
            return nil
        }
        return unsafe certificate
    }
}
