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
        // A clean chain keeps nothing; one with findings keeps the chain (its DER) for the alert,
        // and with a store, a chain new to this thread keeps it for the store's certificates.
        let newToStore = rules.history != nil && chainsSeen.insert(context.fingerprints)
        guard !findings.isEmpty || newToStore else { return nil }
        return SessionFindings(findings: findings, chain: known)
    }

    private var chainsSeen = ChainsSeen()

    public mutating func sessionEnded(_ session: TLSSession) { end(session, packets: nil) }

    /// The session with its first frames: an alert's evidence keeps them.
    public mutating func sessionEnded(_ session: TLSSession, packets: CapturedPackets) { end(session, packets: packets) }

    private mutating func end(_ session: TLSSession, packets: CapturedPackets?) {
        let helloFindings = rules.judgeSessionEnd(session, observation: .passive)
        guard let kept = session.annotation as? SessionFindings else {
            onReport(SessionReport(session: session, findings: helloFindings,
                                   packets: helloFindings.isEmpty ? nil : packets))
            return
        }
        var session = session
        session.annotation = nil
        var findings = RuleSet.standing(kept.findings, after: session)
        if !helloFindings.isEmpty { findings += helloFindings }
        onReport(SessionReport(session: session, findings: findings, serverChain: kept.chain,
                               serverChainDER: findings.isEmpty ? [] : kept.chain.map(\.der),
                               packets: findings.isEmpty ? nil : packets))
    }
}

/// The chains a capture thread has handed the store with their certificates, so each is handed
/// over once (the store keeps each certificate once). Bounded: forgotten all at once when full,
/// after which a chain is handed over again — the store takes it as already known.
struct ChainsSeen {
    static let capacity = 4096
    private var seen = Set<[CertificateFingerprint]>()

    /// True when `chain` was not seen before.
    mutating func insert(_ chain: [CertificateFingerprint]) -> Bool {
        guard !chain.isEmpty else { return false }
        if seen.count >= Self.capacity { seen.removeAll(keepingCapacity: true) }
        return seen.insert(chain).inserted
    }
}
