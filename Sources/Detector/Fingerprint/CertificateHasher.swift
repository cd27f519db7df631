import COpenSSL
import Sniffer
import Wire

/// SHA-256 (and SHA-1, for peers that publish only that) of certificate DER, through OpenSSL
/// libcrypto's one-shot EVP digest.
public enum CertificateHasher {
    public static func sha256(_ der: Span<UInt8>) -> CertificateFingerprint {
        let digest = unsafe digest(der, algorithm: EVP_sha256(), length: 32)
        return CertificateFingerprint(bytes: digest) ?? CertificateFingerprint(words: (0, 0, 0, 0))
    }

    /// Lowercase hex SHA-1.
    public static func sha1Hex(_ der: Span<UInt8>) -> String {
        let bytes = unsafe digest(der, algorithm: EVP_sha1(), length: 20)
        var cursor = ByteCursor(bytes.span)
        return cursor.readRest().hexString
    }

    private static func digest(_ der: Span<UInt8>, algorithm: OpaquePointer?, length: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var written: UInt32 = 0
        let ok = unsafe withUnsafeBytes(of: der) { input in
            unsafe output.withUnsafeMutableBufferPointer { out in
                unsafe EVP_Digest(input.baseAddress, input.count, out.baseAddress, &written, algorithm, nil)
            }
        }
        precondition(ok == 1 && Int(written) == length, "OpenSSL digest failed")
        return Array(output.prefix(length))
    }
}
