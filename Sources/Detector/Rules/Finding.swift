/// One rule firing on one session, with its evidence.
public struct Finding: Sendable, Equatable {
    public enum MatchType: String, Sendable {
        case fingerprint, sha1, spki
        case issuerKeyID = "issuer_key_id"
        case issuerName = "issuer_name"
    }

    public var rule: Rule
    /// Index in the chain as sent (0 = leaf) of the certificate that triggered the rule.
    public var position: Int?
    /// For indicator rules: the indicator's index in the `IndicatorSet`.
    public var indicator: Int?
    public var matchType: MatchType?
    /// For issuer matches where the indicator's key is known: did its signature verify?
    public var signatureVerified: Bool?
    /// Why, in short words (`unknown-issuer`, `rsa-exponent-3`, …).
    public var reasons: [String] = []
    /// SPKI SHA-256 of the issuing CA key the alert is about, for deduplication.
    public var issuerKey: String?
    /// Longer evidence in words (e.g. OpenSSL's verification errors).
    public var detail: String?

    public init(rule: Rule, position: Int? = nil, indicator: Int? = nil, matchType: MatchType? = nil,
                signatureVerified: Bool? = nil, reasons: [String] = [], issuerKey: String? = nil, detail: String? = nil) {
        self.rule = rule
        self.position = position
        self.indicator = indicator
        self.matchType = matchType
        self.signatureVerified = signatureVerified
        self.reasons = reasons
        self.issuerKey = issuerKey
        self.detail = detail
    }
}
