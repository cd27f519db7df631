import Certificates

/// One chain a name was served, as the aggregator folds sessions into it and the store keeps it
/// (`name_chains` with `chains`, `chain_certificates`, `name_chain_rules`).
public struct ChainObservation: Sendable {
    public var name: ObservedName
    /// The certificates' SHA-256, leaf first, as the session records list them.
    public var certificates: [CertificateFingerprint]
    /// The leaf's issuer DN (RFC 2253) and its issuing CA key (`IssuingCA.key`: "aki:…"/"dn:…"),
    /// when the report carried the parsed leaf; a later report may fill them in.
    public var issuer: String?
    public var issuingCA: String?
    /// Unix seconds (UTC).
    public var firstSeen: Int64
    public var lastSeen: Int64
    public var passiveCount: Int
    public var probeCount: Int
    /// Rule ids that fired on it, each once.
    public var rules: [String]

    public init(name: ObservedName, certificates: [CertificateFingerprint], issuer: String?,
                issuingCA: String?, firstSeen: Int64, lastSeen: Int64, passiveCount: Int, probeCount: Int, rules: [String]) {
        self.name = name
        self.certificates = certificates
        self.issuer = issuer
        self.issuingCA = issuingCA
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.passiveCount = passiveCount
        self.probeCount = probeCount
        self.rules = rules
    }

    public var count: Int { passiveCount + probeCount }
}
