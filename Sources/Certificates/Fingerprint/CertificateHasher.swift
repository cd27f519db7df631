import COpenSSL
import Wire

/// SHA-256 (and SHA-1, for peers that publish only that) of certificate DER through OpenSSL
/// libcrypto. `sha256` reuses one digest context per `CertificateHasher`, so hashing allocates
/// nothing; one hasher per thread.
@safe
public final class CertificateHasher {
    private let context: OpaquePointer
    private let sha256Algorithm: OpaquePointer

    public init() {
        // unsafe: plain OpenSSL object construction; both are freed in deinit.
        guard let context = unsafe EVP_MD_CTX_new(), let algorithm = unsafe EVP_MD_fetch(nil, "SHA256", nil) else {
            fatalError("OpenSSL cannot provide SHA-256")
        }
        unsafe self.context = context
        unsafe sha256Algorithm = algorithm
    }

    deinit {
        unsafe EVP_MD_CTX_free(context)
        unsafe EVP_MD_free(sha256Algorithm)
    }

    /// SHA-256 of `der`, with no heap allocation.
    public func sha256(_ der: Span<UInt8>) -> CertificateFingerprint {
        var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var length: UInt32 = 0
        let ok = unsafe withUnsafeBytes(of: der) { input in
            unsafe withUnsafeMutableBytes(of: &digest) { output in
                // unsafe: `input` is the span's bytes and `output` 32 writable bytes, both alive
                // for the calls; the context is owned by this hasher.
                unsafe EVP_DigestInit_ex(context, sha256Algorithm, nil) == 1
                    && EVP_DigestUpdate(context, input.baseAddress, input.count) == 1
                    && EVP_DigestFinal_ex(context, output.baseAddress?.assumingMemoryBound(to: UInt8.self), &length) == 1
            }
        }
        precondition(ok && length == 32, "OpenSSL SHA-256 failed")
        return CertificateFingerprint(words: (digest.0.bigEndian, digest.1.bigEndian, digest.2.bigEndian, digest.3.bigEndian))
    }

    /// SHA-256 with a hasher made for the call (allocates; for one-off uses).
    public static func sha256(_ der: Span<UInt8>) -> CertificateFingerprint {
        CertificateHasher().sha256(der)
    }

    /// Lowercase hex SHA-1.
    public static func sha1Hex(_ der: Span<UInt8>) -> String {
        var output = [UInt8](repeating: 0, count: 20)
        var written: UInt32 = 0
        let ok = unsafe withUnsafeBytes(of: der) { input in
            unsafe output.withUnsafeMutableBufferPointer { out in
                unsafe EVP_Digest(input.baseAddress, input.count, out.baseAddress, &written, EVP_sha1(), nil)
            }
        }
        precondition(ok == 1 && written == 20, "OpenSSL SHA-1 failed")
        return ByteCursor(output.span).hexString
    }
}
