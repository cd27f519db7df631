import Certificates
import OpenSSLBridge

extension SHA256Hasher {
    /// SHA-256 over the certificates' SHA-256 concatenated, leaf first: a chain's identity in the
    /// store (computed on the writer's thread, not where reports are folded in).
    func chainDigest(_ certificates: [CertificateFingerprint]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32 * certificates.count)
        for certificate in certificates { bytes.append(contentsOf: certificate.digest.bytes) }
        return hash(bytes.span).bytes
    }
}
