import Certificates
import Sniffer

/// The enabled rules, assembled in this one place from a configuration, in the order their
/// findings are reported. `read`, `run`, the probes, the bench and the fuzzers all use it.
public struct RuleSet {
    public private(set) var rules: [any DetectionRule]
    public let indicators: IndicatorSet
    /// The validator the trust rules share (nil when none validates): one per thread.
    public let validator: ChainValidator?

    public init(_ configuration: DetectionConfiguration) {
        indicators = configuration.indicators
        let validator = configuration.trustStore.map { ChainValidator(trustStore: $0) }
        self.validator = validator
        var rules: [any DetectionRule] = [IndicatorRule(indicators: configuration.indicators),
                                          InterceptionShapeRule(), MalformedChainRule()]
        if let validator, let untrusted = configuration.untrustedChain {
            rules.append(UntrustedChainRule(validator: validator, settings: untrusted))
        }
        if let pins = configuration.pins { rules.append(PinMismatchRule(pins: pins, validator: validator)) }
        if configuration.missingSCT, let validator { rules.append(MissingSCTRule(validator: validator)) }
        history = configuration.history
        // Last: it reads the findings of the rules before it.
        if let history = configuration.history, history.settings.issuerChange.enabled {
            rules.append(IssuerChangeRule(history: history))
        }
        self.rules = rules
    }

    /// The history rules, when a store keeps history.
    public let history: HistoryRules?

    /// The history rules that judge a finished session's ServerHello (`tls-downgrade`,
    /// `server-profile-change`); none without a store.
    public func judgeSessionEnd(_ session: TLSSession, observation: Observation) -> [Finding] {
        guard let history else { return [] }
        return history.judgeHello(session, observation: observation)
    }

    /// Every rule's findings on one chain, each with the kind of rule that made it. Each rule
    /// sees the findings of the rules before it (`issuer-change`, last, weighs them).
    public mutating func evaluate(_ context: borrowing ChainContext) -> [RuledFinding] {
        var all: [RuledFinding] = []
        // The rules add to a scratch array kept from chain to chain: a chain with findings
        // allocates only the array it returns.
        var findings: [Finding] = []
        swap(&findings, &scratch)
        for index in rules.indices {
            let before = findings.count
            rules[index].evaluate(context, into: &findings)
            let kind = type(of: rules[index])
            for finding in findings[before...] { all.append(RuledFinding(rule: kind, finding: finding)) }
        }
        findings.removeAll(keepingCapacity: true)
        swap(&findings, &scratch)
        return all
    }

    private var scratch: [Finding] = []

    /// The findings that still stand now that their session has ended (asked of the kind of
    /// rule that made each, whatever rule set is in force now).
    public static func standing(_ findings: [RuledFinding], after session: TLSSession) -> [Finding] {
        findings.compactMap { entry in entry.rule.stands(entry.finding, after: session) ? entry.finding : nil }
    }

    /// Judges a chain that did not come from a capture (a probe's), as a finished session:
    /// the same rules, the same findings.
    public mutating func judgeFetched(_ der: [[UInt8]], session: TLSSession, at time: Timestamp,
                                      cache: inout CertificateCache) -> [Finding] {
        let findings = ChainContext.withFetched(der, session: session, at: time, cache: &cache) { evaluate($0) }
        return Self.standing(findings, after: session) + judgeSessionEnd(session, observation: .probe)
    }

    /// A probe's whole report: the fetched chain judged as `judgeFetched` does, the session
    /// given its observed chain, and the chain kept for the alerts (as a passive session with
    /// findings keeps it).
    public mutating func reportFetched(_ der: [[UInt8]], session: TLSSession, at time: Timestamp,
                                       cache: inout CertificateCache, probe: ProbeDetails) -> SessionReport {
        let findings = judgeFetched(der, session: session, at: time, cache: &cache)
        let known = der.map { cache.lookup($0.span) }
        var session = session
        session.serverChain = ObservedChain(fingerprints: known.map(\.sha256), isTruncated: false,
                                            unparsablePositions: known.indices.filter { known[$0].layout == nil })
        return SessionReport(session: session, findings: findings, serverChain: known, serverChainDER: der,
                             observation: .probe, probe: probe)
    }
}

/// A finding and the kind of rule that made it.
public struct RuledFinding: Sendable {
    public var rule: any DetectionRule.Type
    public var finding: Finding
}
