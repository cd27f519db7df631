import COpenSSL
import Wire

/// SHA-1, one-shot (allocates; for the peers and records that still name certificates by it).
public enum SHA1 {
    /// The 20 digest bytes of `bytes`.
    public static func digest(_ bytes: Span<UInt8>) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 20)
        var written: UInt32 = 0
        let ok = unsafe withUnsafeBytes(of: bytes) { input in
            unsafe output.withUnsafeMutableBufferPointer { out in
                // unsafe: `input` is the span's bytes and `out` the array's 20 bytes, both alive
                // for the call; EVP_sha1 is a static method table.
                unsafe EVP_Digest(input.baseAddress, input.count, out.baseAddress, &written, EVP_sha1(), nil)
            }
        }
        precondition(ok == 1 && written == 20, "OpenSSL SHA-1 failed")
        return output
    }

    /// Lowercase hex, 40 characters.
    public static func hex(_ bytes: Span<UInt8>) -> String {
        let digest = digest(bytes)
        return ByteCursor(digest.span).hexString
    }
}
