import OpenSSLBridge
import Wire

/// SHA-256 (and SHA-1, for peers that publish only that) of certificate DER, as
/// `CertificateFingerprint`s. `sha256` reuses one digest context per `CertificateHasher`, so
/// hashing allocates nothing; one hasher per thread.
public final class CertificateHasher {
    /// The digest context, for other OpenSSLBridge calls that hash (chain SPKIs).
    public let digester = SHA256Hasher()

    public init() {}

    /// SHA-256 of `der`, with no heap allocation.
    public func sha256(_ der: Span<UInt8>) -> CertificateFingerprint {
        CertificateFingerprint(digester.hash(der))
    }

    /// SHA-256 with a hasher made for the call (allocates; for one-off uses).
    public static func sha256(_ der: Span<UInt8>) -> CertificateFingerprint {
        CertificateFingerprint(SHA256Hasher.hash(der))
    }

    /// Lowercase hex SHA-1.
    public static func sha1Hex(_ der: Span<UInt8>) -> String {
        SHA1.hex(der)
    }
}

extension CertificateFingerprint {
    public init(_ digest: SHA256Digest) {
        self.init(words: digest.words)
    }
}
