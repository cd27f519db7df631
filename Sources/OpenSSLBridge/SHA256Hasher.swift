import COpenSSL
import Wire

/// SHA-256 through OpenSSL's EVP interface with one digest context, reused: hashing allocates
/// nothing. Not thread-safe (the context is mutable state): one hasher per thread.
@safe
public final class SHA256Hasher {
    private let context: OpaquePointer
    private let algorithm: OpaquePointer

    public init() {
        // unsafe: plain OpenSSL object construction; both are freed in deinit.
        guard let context = unsafe EVP_MD_CTX_new(), let algorithm = unsafe EVP_MD_fetch(nil, "SHA256", nil) else {
            fatalError("OpenSSL cannot provide SHA-256")
        }
        unsafe self.context = context
        unsafe self.algorithm = algorithm
    }

    deinit {
        unsafe EVP_MD_CTX_free(context)
        unsafe EVP_MD_free(algorithm)
    }

    /// SHA-256 of `bytes`, with no heap allocation.
    public func hash(_ bytes: Span<UInt8>) -> SHA256Digest {
        var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var length: UInt32 = 0
        let ok = unsafe withUnsafeBytes(of: bytes) { input in
            unsafe withUnsafeMutableBytes(of: &digest) { output in
                // unsafe: `input` is the span's bytes and `output` 32 writable bytes, both alive
                // for the calls; the context is owned by this hasher.
                unsafe EVP_DigestInit_ex(context, algorithm, nil) == 1
                    && EVP_DigestUpdate(context, input.baseAddress, input.count) == 1
                    && EVP_DigestFinal_ex(context, output.baseAddress?.assumingMemoryBound(to: UInt8.self), &length) == 1
            }
        }
        precondition(ok && length == 32, "OpenSSL SHA-256 failed")
        return SHA256Digest(words: (digest.0.bigEndian, digest.1.bigEndian, digest.2.bigEndian, digest.3.bigEndian))
    }

    /// SHA-256 with a hasher made for the call (allocates; for one-off uses).
    public static func hash(_ bytes: Span<UInt8>) -> SHA256Digest {
        SHA256Hasher().hash(bytes)
    }
}
