/// The detection rules, with the stable ids alerts carry and other tools key on.
public enum Rule: String, Sendable, CaseIterable, Codable {
    case knownInterceptionCA = "known-interception-ca"
    case governmentCA = "government-ca"
    case untrustedChain = "untrusted-chain"
    case pinMismatch = "pin-mismatch"
    case missingSCT = "missing-sct"
    case interceptionShape = "interception-shape"
    case malformedChain = "malformed-chain"
    /// The history rules (a store is on): what a name was served before, and what it is now.
    case issuerChange = "issuer-change"
    case tlsDowngrade = "tls-downgrade"
    case serverProfileChange = "server-profile-change"

    public enum Severity: String, Sendable {
        case critical, high, medium, low, informational

        /// ECS `event.severity` (higher is worse).
        public var score: Int {
            switch self {
            case .critical: 90
            case .high: 70
            case .medium: 50
            case .low: 30
            case .informational: 10
            }
        }
    }

    public var name: String {
        switch self {
        case .knownInterceptionCA: "Chain contains or was issued by a known interception CA"
        case .governmentCA: "Chain contains or was issued by a state CA with legitimate uses"
        case .untrustedChain: "Chain does not validate to the trust store"
        case .pinMismatch: "Chain does not match the CA pins configured for this name"
        case .missingSCT: "Publicly trusted leaf without Certificate Transparency proof"
        case .interceptionShape: "Leaf has the shape of an on-the-fly interception certificate"
        case .malformedChain: "The server sent no certificate, or one that is not DER X.509"
        case .issuerChange: "A name with a settled history is served a chain from a new issuing CA"
        case .tlsDowngrade: "A name that negotiates TLS 1.3 or a post-quantum group now negotiates less"
        case .serverProfileChange: "The server's answer to the same offer changed after a settled history"
        }
    }

    public var severity: Severity {
        switch self {
        case .knownInterceptionCA: .critical
        case .governmentCA: .medium
        case .untrustedChain: .high
        case .pinMismatch: .high
        case .missingSCT: .medium
        case .interceptionShape: .informational
        case .malformedChain: .informational
        case .issuerChange: .medium  // high for a finding whose chain also fails another rule or whose CA is new here
        case .tlsDowngrade: .high
        case .serverProfileChange: .low
        }
    }

    public var description: String {
        switch self {
        case .knownInterceptionCA:
            "A certificate in the server's chain is a documented government or rogue interception "
                + "certificate (by SHA-256, SHA-1 or public key), or was issued by one (issuer name and key id)."
        case .governmentCA:
            "A certificate in the chain is, or was issued by, a state CA that is also used legitimately "
                + "(e.g. Russia's 2022 root): worth knowing, not proof of interception."
        case .untrustedChain:
            "The chain, with the intermediates the server sent, does not validate to the trust store at "
                + "the time of capture for the requested server name."
        case .pinMismatch:
            "The server name matches a configured pin, and no certificate in the chain has one of the "
                + "pinned CA keys."
        case .missingSCT:
            "The leaf validates to the public trust store and was issued after 2018-04-30, but no signed "
                + "certificate timestamp was seen (embedded, TLS extension or stapled OCSP)."
        case .interceptionShape:
            "The leaf looks minted on the fly by an interception box (RSA exponent 3, extensions stripped)."
        case .malformedChain:
            "The Certificate message listed no certificate, or a certificate that does not parse as DER X.509. "
                + "Any server or attacker can send that; it is not judged as interception."
        case .issuerChange:
            "The name was served chains from a settled set of issuing CA keys (enough observations over enough "
                + "days) and is now served one from another: a CA migration, or an interception box."
        case .tlsDowngrade:
            "The name negotiated TLS 1.3 (or the hybrid post-quantum group X25519MLKEM768) whenever it was offered, "
                + "and now negotiates TLS 1.2 or less (or a classical group) with a client that offered it: "
                + "the cheapest passive trace of a TLS 1.3 interception box."
        case .serverProfileChange:
            "For the same offer, the server answers with another ServerHello profile (version, cipher, key-share "
                + "group, extension types, ALPN) than its settled one."
        }
    }

    public var reference: String {
        switch self {
        case .knownInterceptionCA, .governmentCA:
            "https://github.com/mitmwatch/mitmwatch#how-detection-works"
        case .untrustedChain:
            "https://www.rfc-editor.org/rfc/rfc5280#section-6"
        case .pinMismatch:
            "https://www.rfc-editor.org/rfc/rfc7469"
        case .missingSCT:
            "https://www.rfc-editor.org/rfc/rfc6962"
        case .interceptionShape:
            "https://censoredplanet.org/kazakhstan"
        case .malformedChain:
            "https://www.rfc-editor.org/rfc/rfc5280#section-4.1"
        case .issuerChange, .tlsDowngrade, .serverProfileChange:
            "https://github.com/mitmwatch/mitmwatch#the-history-rules"
        }
    }
}
