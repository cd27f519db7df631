import Certificates

/// One distinct chain a name was served, as `mitmwatch history` prints it.
public struct ChainHistory: Sendable, Equatable {
    public var name: String
    public var kind: ObservedName.Kind
    /// The certificates' SHA-256, leaf first.
    public var certificates: [CertificateFingerprint]
    public var issuer: String?
    public var issuingCA: String?
    public var firstSeen: Int64
    public var lastSeen: Int64
    public var count: Int
    /// "passive", "probe": how it was seen.
    public var observations: [String]
    /// Rule ids that fired on it.
    public var rules: [String]
    /// The sensors (`sensor.name`) that saw it, sorted.
    public var sensors: [String] = []

    public var leaf: CertificateFingerprint? { certificates.first }
}

/// A name whose issuing CA changed: each issuing CA key it was served, in the order they appeared.
public struct IssuerChange: Sendable, Equatable {
    public struct Issuing: Sendable, Equatable {
        public var key: String
        public var issuer: String?
        public var firstSeen: Int64
        public var lastSeen: Int64
        public var count: Int
    }

    public var name: String
    public var kind: ObservedName.Kind
    public var issuingCAs: [Issuing]
}
