import COpenSSL

/// What `X509_verify_cert` made of a chain, with every problem it met rather than the first.
public struct ChainVerification: Sendable {
    /// `X509_verify_cert` returned 1. Problems are collected without stopping OpenSSL, so check
    /// `problems` too.
    public var succeeded: Bool
    /// False when OpenSSL refused the expected name before verifying (it then matches nothing).
    public var nameAccepted: Bool
    /// Each distinct (code, depth) in the order met, at most 16.
    public var problems: [VerificationError]
    /// The context's error code after the verification (`X509_V_OK` is 0).
    public var finalErrorCode: Int32
    /// SHA-256 of the SubjectPublicKeyInfo of every certificate of the chain OpenSSL built, leaf
    /// first (nil where it could not be encoded): up to the anchor when it got there.
    public var chainSPKISHA256: [SHA256Digest?]
    /// Whether a notBefore or notAfter of a certificate of the built chain lies in the window.
    public var chainValidityChangesInWindow: Bool

    /// Verifies `leaf` as a TLS server certificate (purpose SSL server) against `store`'s anchors,
    /// with `intermediates` as untrusted helpers, as of `time` (Unix seconds), for `name` if any.
    /// `window` is only reported on (`chainValidityChangesInWindow`); `hasher` hashes the SPKIs.
    /// Nil when OpenSSL cannot set the verification up.
    public static func verifyTLSServer(leaf: OpenSSLCertificate, intermediates: [OpenSSLCertificate],
                                       store: CertificateStore, at time: Int64, name: ExpectedName?,
                                       window: ClosedRange<Int64>, hasher: SHA256Hasher) -> ChainVerification? {
        defer { ERR_clear_error() }
        // OpenSSL borrows these certificates (stack, context): keep them alive to the very end.
        defer { withExtendedLifetime((leaf, intermediates, store)) {} }

        // unsafe: the stack only borrows certificates of `intermediates`, which outlive it (above).
        guard let untrusted = unsafe mw_sk_X509_new_null() else { fatalError("OpenSSL cannot allocate a stack") }
        defer { unsafe mw_sk_X509_free(untrusted) }
        for certificate in intermediates {
            // unsafe: pushes a borrowed pointer; see above.
            _ = unsafe mw_sk_X509_push(untrusted, certificate.pointer)
        }
        // unsafe: the context borrows store, leaf and stack, all alive until it is freed below.
        guard let context = unsafe X509_STORE_CTX_new() else { fatalError("OpenSSL cannot allocate a verify context") }
        defer { unsafe X509_STORE_CTX_free(context) }
        guard unsafe X509_STORE_CTX_init(context, store.pointer, leaf.pointer, untrusted) == 1 else { return nil }

        // unsafe: the context and its parameters (owned by it) are alive for this scope.
        _ = unsafe X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SSL_SERVER)
        let parameters = unsafe X509_STORE_CTX_get0_param(context)
        unsafe X509_VERIFY_PARAM_set_time(parameters, time_t(time))
        var nameAccepted = true
        switch name {
        case nil:
            break
        case .ipAddress(let address):
            // unsafe: the C string is a temporary copy alive for the call, which copies it.
            nameAccepted = unsafe X509_VERIFY_PARAM_set1_ip_asc(parameters, address) == 1
        case .host(let host):
            // unsafe: as above; the length is the UTF-8 byte count of that string.
            nameAccepted = unsafe X509_VERIFY_PARAM_set1_host(parameters, host, host.utf8.count) == 1
        }

        var collected = mw_verify_problems()
        // unsafe: `collected` is alive for the call; the callback only writes within its arrays.
        let result = unsafe mw_verify_collecting(context, &collected)
        let problems = (0..<collected.count).map { index in
            // unsafe: `index` is below the count the callback kept within the arrays.
            unsafe VerificationError(code: mw_verify_problem_error(&collected, index),
                                     depth: Int(mw_verify_problem_depth(&collected, index)))
        }
        // unsafe: reads the error code of the live context.
        let finalErrorCode = unsafe X509_STORE_CTX_get_error(context)
        ERR_clear_error()

        // unsafe: the stack and its certificates are borrowed from the context, alive until its
        // free; each wrapper takes a reference of its own.
        let built = unsafe X509_STORE_CTX_get0_chain(context)
        var spkis: [SHA256Digest?] = []
        var changes = false
        let builtCount = unsafe mw_sk_X509_num(built)
        for index in 0..<builtCount {
            // unsafe: `index` is within the stack, which the context keeps alive.
            guard let pointer = unsafe mw_sk_X509_value(built, index) else { continue }
            let certificate = unsafe OpenSSLCertificate(retaining: pointer)
            spkis.append(certificate.subjectPublicKeyInfoSHA256(using: hasher))
            if certificate.validityChanges(within: window) { changes = true }
        }
        return ChainVerification(succeeded: result == 1, nameAccepted: nameAccepted, problems: problems,
                                 finalErrorCode: finalErrorCode, chainSPKISHA256: spkis,
                                 chainValidityChangesInWindow: changes)
    }
}
