import COpenSSL

/// An OpenSSL `X509_STORE` of trust anchors, owned: freed when the wrapper goes.
///
/// Fill it, then verify against it; OpenSSL locks the store's own lookups during verification.
@safe
public final class CertificateStore {
    let pointer: OpaquePointer

    public init() {
        // unsafe: plain OpenSSL object construction; freed in deinit.
        guard let store = unsafe X509_STORE_new() else { fatalError("OpenSSL cannot allocate an X509_STORE") }
        unsafe pointer = store
    }

    deinit {
        unsafe X509_STORE_free(pointer)
    }

    /// OpenSSL's default locations (`X509_STORE_set_default_paths`): the CA bundle file, loaded
    /// now, and the hashed CA directory, consulted lazily during verification.
    public func loadDefaultPaths() -> Bool {
        defer { ERR_clear_error() }
        // unsafe: the store is owned by this wrapper.
        return unsafe X509_STORE_set_default_paths(pointer) == 1
    }

    /// Adds a trust anchor (the store takes its own reference; a duplicate is ignored).
    public func add(_ certificate: OpenSSLCertificate) -> Bool {
        defer { ERR_clear_error() }
        // unsafe: both objects are alive for the call; the store up-refs the certificate.
        return unsafe X509_STORE_add_cert(pointer, certificate.pointer) == 1
    }

    /// Certificates held in the store now (not those of a hashed directory, found on demand).
    public var certificateCount: Int {
        // unsafe: get1 returns a new stack holding references; pop_free releases both.
        guard let all = unsafe X509_STORE_get1_all_certs(pointer) else { return 0 }
        let count = unsafe mw_sk_X509_num(all)
        unsafe mw_sk_X509_pop_free(all)
        return Int(count)
    }
}
