/// What one flush writes, in one transaction.
public struct StoreBatch: Sendable {
    public var chains: [ChainObservation] = []
    public var profiles: [ProfileObservation] = []
    public var certificates: [StoredCertificate] = []
    /// Alert deduplication state to save: when non-nil, it replaces the writing sensor's (only).
    public var dedup: [DedupEntry]?
    /// Session reports folded into this batch (what is lost, counted, when it is dropped).
    public var observations = 0

    public init() {}

    public var isEmpty: Bool { chains.isEmpty && profiles.isEmpty && certificates.isEmpty && dedup == nil }
}
