import Certificates
import Sniffer

/// The sniffer's observer that runs detection: the server's chain is judged by the rule set
/// while its bytes are in place; findings ride with the session (`SessionFindings`) and the
/// session is reported with those that still stand when it ends.
public struct DetectionObserver: TLSObserver {
    /// Replaceable while running (configuration reload); sessions in flight keep their findings.
    public var rules: RuleSet
    private let onReport: (SessionReport) -> Void

    public init(rules: RuleSet, onReport: @escaping (SessionReport) -> Void) {
        self.rules = rules
        self.onReport = onReport
    }

    /// Indicators only (tests, tools).
    public init(indicators: IndicatorSet, onReport: @escaping (SessionReport) -> Void) {
        self.init(rules: RuleSet(DetectionConfiguration(indicators: indicators)), onReport: onReport)
    }

    public var indicators: IndicatorSet { rules.indicators }

    public mutating func certificates(
        _ chain: borrowing CertificateChainView, known: [KnownCertificate], from sender: EndpointRole,
        session: borrowing TLSSession, at time: Timestamp
    ) -> (any SessionAnnotation)? {
        guard sender == .server else { return nil }
        let session = copy session
        let context = ChainContext(chain: copy chain, certificates: known,
                                   fingerprints: session.serverChain?.fingerprints ?? [], session: session,
                                   time: time, observation: .passive)
        let findings = rules.evaluate(context)
        // A clean chain keeps nothing; one with findings keeps the chain (its DER) for the alert.
        guard !findings.isEmpty else { return nil }
        return SessionFindings(findings: findings, chain: known)
    }

    public mutating func sessionEnded(_ session: TLSSession) {
        guard let kept = session.annotation as? SessionFindings else {
            onReport(SessionReport(session: session, findings: []))
            return
        }
        var session = session
        session.annotation = nil
        let findings = RuleSet.standing(kept.findings, after: session)
        onReport(SessionReport(session: session, findings: findings, serverChain: findings.isEmpty ? [] : kept.chain,
                               serverChainDER: findings.isEmpty ? [] : kept.chain.map(\.der)))
    }
}
