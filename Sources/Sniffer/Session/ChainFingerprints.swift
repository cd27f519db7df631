import Certificates

/// The fingerprint arrays of chains seen before, by leaf: a session whose server sends a chain
/// seen before shares that chain's array (as its `ObservedChain.fingerprints`) instead of
/// making its own. Most traffic repeats a small set of chains. One per worker; bounded (cleared
/// when full; chains of at most `maxLength` certificates, so at most about 1 MiB). An entry is
/// used only when every fingerprint matches, in order.
struct ChainFingerprints {
    private var byLeaf: [CertificateFingerprint: [CertificateFingerprint]] = [:]
    static let capacity = 4096
    static let maxLength = 6

    /// The fingerprints of `known`, in order: a shared array when the chain was seen before.
    mutating func fingerprints(of known: [KnownCertificate]) -> [CertificateFingerprint] {
        guard let leaf = known.first?.sha256 else { return [] }
        if let seen = byLeaf[leaf], seen.count == known.count,
           seen.indices.allSatisfy({ seen[$0] == known[$0].sha256 }) {
            return seen
        }
        let fingerprints = known.map(\.sha256)
        guard known.count <= Self.maxLength else { return fingerprints }
        if byLeaf.count >= Self.capacity { byLeaf.removeAll(keepingCapacity: true) }
        byLeaf[leaf] = fingerprints
        return fingerprints
    }
}
