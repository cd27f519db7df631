import Certificates

/// What a finding rests on, typed: rules and outputs switch on it, never on words.
public enum Evidence: Sendable, Equatable {
    /// A certificate is, or was issued by, an indicator.
    case indicator(IndicatorMatch)
    /// The chain does not validate to the trust store (OpenSSL's reasons and words).
    case untrusted(reasons: [UntrustedReason], detail: String)
    /// The name is pinned and no certificate of the chain has a pinned key.
    case pinMismatch(names: [String], note: String?)
    /// A publicly trusted leaf with no SCT in any of the places one can come from.
    case noCertificateTransparency
    /// The leaf has the traits of a certificate minted on the fly.
    case shape([ShapeTrait])
    /// The chain is not a chain of DER certificates: it judges nothing about interception.
    case malformed(MalformedChain)
    /// What the name was served before, against what it is served now.
    case history(HistoryChange)

    public var reasonCodes: [String] {
        switch self {
        case .indicator(let match): [match.kind.rawValue]
        case .untrusted(let reasons, _): reasons.map(\.rawValue)
        case .pinMismatch(let names, _): ["pinned:" + names.joined(separator: ",")]
        case .noCertificateTransparency: ["no-embedded-sct", "no-tls-extension-sct", "no-stapled-ocsp-sct"]
        case .shape(let traits): traits.map(\.rawValue)
        case .malformed(let chain): chain.reasonCodes
        case .history(let change): change.reasonCodes
        }
    }

    public var detail: String? {
        switch self {
        case .untrusted(_, let detail): detail.isEmpty ? nil : detail
        case .pinMismatch(_, let note): note
        case .malformed(let chain): chain.detail
        case .history(let change): change.detail
        case .indicator, .noCertificateTransparency, .shape: nil
        }
    }
}

/// How a certificate matched an indicator.
public struct IndicatorMatch: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case fingerprint, sha1, spki
        case issuerKeyID = "issuer_key_id"
        case issuerName = "issuer_name"

        /// Which of two matches of the same certificate and indicator to keep.
        var strength: Int {
            switch self {
            case .fingerprint: 5
            case .sha1: 4
            case .spki: 3
            case .issuerKeyID: 2
            case .issuerName: 1
            }
        }
    }

    /// The indicator's index in its `IndicatorSet`.
    public var indicator: Int
    public var kind: Kind
    /// For issuer matches where the indicator's certificate is known: did the issued
    /// certificate's signature verify with its key? nil when it could not be checked.
    public var signatureVerified: Bool?
}

/// Traits of a leaf minted on the fly by an interception box.
public enum ShapeTrait: String, Sendable {
    case rsaExponent3 = "rsa-exponent-3"
    case extensionsStripped = "extensions-stripped"
}

/// Why a chain is malformed.
public struct MalformedChain: Sendable, Equatable {
    /// The Certificate message listed no certificate.
    public var empty: Bool
    /// Certificates our DER parser rejects, leaf first.
    public var unparsable: [Unparsable]
    /// OpenSSL could not read a certificate our parser accepted (its words).
    public var rejectedByOpenSSL: String?

    public struct Unparsable: Sendable, Equatable {
        public var position: Int
        /// Where and why parsing stopped.
        public var error: X509ParseError?
    }

    public init(empty: Bool = false, unparsable: [Unparsable] = [], rejectedByOpenSSL: String? = nil) {
        self.empty = empty
        self.unparsable = unparsable
        self.rejectedByOpenSSL = rejectedByOpenSSL
    }

    var reasonCodes: [String] {
        if empty { return ["empty-chain"] }
        return unparsable.isEmpty ? ["rejected-by-openssl"] : ["unparsable-certificate"]
    }

    var detail: String? {
        if empty { return "the Certificate message lists no certificate" }
        if let rejectedByOpenSSL { return rejectedByOpenSSL }
        return unparsable.map { entry in
            "certificate \(entry.position): " + (entry.error.map { "\($0)" } ?? "not DER X.509")
        }.joined(separator: "; ")
    }
}
