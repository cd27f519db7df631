import Sniffer
import Wire

/// A finished session with what the rules found in it.
public struct SessionReport: Sendable {
    public var session: TLSSession
    public var findings: [Finding]
    /// The server's chain as examined (leaf first).
    public var serverChain: [KnownCertificate]
    /// The server's chain's DER, kept only for sessions with findings (alerts may print it as PEM).
    public var serverChainDER: [[UInt8]]

    /// The rule ids that fired, each once, in rule order (`mitmwatch.verdict`).
    public var verdict: [String] {
        Rule.allCases.filter { rule in findings.contains { $0.rule == rule } }.map(\.rawValue)
    }
}

/// The sniffer's observer that runs detection: certificates are fingerprinted and parsed through
/// the cache, the server's chain is judged by every enabled rule while its bytes are in place,
/// and each session is reported with its findings when it ends.
public struct DetectionObserver: TLSObserver {
    public private(set) var cache: CertificateCache
    public let indicators: IndicatorSet
    public var chainJudge: ChainJudge
    private var pending: [UInt64: (findings: [Finding], chain: [KnownCertificate], der: [[UInt8]])] = [:]
    private let onReport: (SessionReport) -> Void

    public init(indicators: IndicatorSet, chainJudge: ChainJudge = ChainJudge(rules: []),
                cache: CertificateCache = CertificateCache(), onReport: @escaping (SessionReport) -> Void) {
        self.indicators = indicators
        self.chainJudge = chainJudge
        self.cache = cache
        self.onReport = onReport
    }

    public mutating func certificates(
        _ chain: borrowing CertificateChainView, from sender: EndpointRole, session: borrowing TLSSession,
        at time: Timestamp
    ) -> [CertificateFingerprint] {
        var known: [KnownCertificate] = []
        var der: [[UInt8]] = []
        let keepBytes = sender == .server
        chain.forEach { bytes in
            known.append(cache.lookup(bytes))
            if keepBytes { der.append(Array(copying: bytes)) }
        }
        if sender == .server {
            var findings = KnownInterceptionCARule.evaluate(known, indicators: indicators) { der.indices.contains($0) ? der[$0] : nil }
            findings += InterceptionShapeRule.evaluate(known)
            findings += chainJudge.evaluate(chain: known, der: der, session: session, at: time)
            pending[session.id] = (findings, known, findings.isEmpty ? [] : der)
        }
        return known.map(\.sha256)
    }

    public mutating func sessionEnded(_ session: TLSSession) {
        let entry = pending.removeValue(forKey: session.id)
        onReport(SessionReport(session: session, findings: entry?.findings ?? [], serverChain: entry?.chain ?? [],
                               serverChainDER: entry?.der ?? []))
    }
}

/// A rule that judges a whole chain in its session's context (trust, pins, transparency).
public protocol ChainJudgeRule {
    mutating func evaluate(chain: [KnownCertificate], der: [[UInt8]], session: borrowing TLSSession,
                           at time: Timestamp) -> [Finding]
}

/// The configured chain-level rules (untrusted-chain, pin-mismatch, missing-sct), run in order.
public struct ChainJudge {
    public var rules: [any ChainJudgeRule]
    public init(rules: [any ChainJudgeRule]) { self.rules = rules }

    mutating func evaluate(chain: [KnownCertificate], der: [[UInt8]], session: borrowing TLSSession,
                           at time: Timestamp) -> [Finding] {
        var findings: [Finding] = []
        for index in rules.indices {
            findings += rules[index].evaluate(chain: chain, der: der, session: session, at: time)
        }
        return findings
    }
}
