/// One rule firing on one chain, with its evidence as data. Words are made only where output is
/// written (`reasons`, `detail`, `AlertText`).
public struct Finding: Sendable, Equatable {
    public typealias MatchType = IndicatorMatch.Kind

    public var rule: Rule
    /// Index in the chain as sent (0 = leaf) of the certificate that triggered the rule.
    public var position: Int?
    /// The CA the finding is about (alerts about the same CA, name and server are deduplicated).
    public var issuingCA: IssuingCA?
    public var evidence: Evidence
    /// The rule's severity, or another the evidence calls for (`issuer-change`: high when the
    /// new chain also fails another rule or its CA is new here).
    public var severity: Rule.Severity

    public init(rule: Rule, position: Int? = nil, issuingCA: IssuingCA? = nil, evidence: Evidence,
                severity: Rule.Severity? = nil) {
        self.rule = rule
        self.position = position
        self.issuingCA = issuingCA
        self.evidence = evidence
        self.severity = severity ?? rule.severity
    }

    /// The indicator match, for `known-interception-ca` and `government-ca`.
    public var match: IndicatorMatch? {
        if case .indicator(let match) = evidence { return match }
        return nil
    }

    /// For indicator rules: the indicator's index in the `IndicatorSet`.
    public var indicator: Int? { match?.indicator }
    public var matchType: MatchType? { match?.kind }
    /// For issuer matches where the indicator's key is known: did its signature verify?
    public var signatureVerified: Bool? { match?.signatureVerified }
    /// Why, in short stable words (`mitmwatch.reasons`): `unknown-issuer`, `rsa-exponent-3`, …
    public var reasons: [String] { evidence.reasonCodes }
    /// Longer evidence in words (OpenSSL's verification errors, a pin's note, parse errors).
    public var detail: String? { evidence.detail }
}
