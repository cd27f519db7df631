import Sniffer
import Wire
import Certificates

/// A finished session with what the rules found in it.
public struct SessionReport: Sendable {
    public var session: TLSSession
    public var findings: [Finding]
    /// The server's chain as examined (leaf first), kept only for sessions with findings (or a
    /// pending SCT check) and within the observer's retention bound.
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
    // Replaceable while running (configuration reload); sessions in flight keep their findings.
    public var indicators: IndicatorSet {
        didSet { unconcerned.removeAll() }
    }
    /// Certificates no indicator concerns (see `IndicatorSet.mayConcern`): one lookup instead of
    /// five for the certificates of nearly every session. Bounded; cleared when indicators change.
    private var unconcerned: Set<CertificateFingerprint> = []
    public var chainJudge: ChainJudge
    /// Validates leaves for `missing-sct` (nil: the rule is off).
    public var transparencyValidator: ChainValidator?
    private var pending: [UInt64: Pending] = [:]
    /// Bytes held in `pending` for alerts not written yet: the chain as examined and its DER
    /// (the leaf's fields, `--certificate-chain`). Only sessions with findings (or a pending SCT
    /// check) keep anything. A session's alert is written when it ends, which a sender can put
    /// off for many connections at once: past `maxRetainedDERBytes` a session keeps only its
    /// leaf, then nothing (its findings are kept all the same).
    public private(set) var retainedDERBytes = 0
    public let maxRetainedDERBytes: Int
    /// Sessions whose chain did not fit under `maxRetainedDERBytes` (their alerts carry less).
    public private(set) var chainsNotRetained: UInt64 = 0
    /// Sessions waiting for their end with something kept.
    public var pendingSessions: Int { pending.count }
    /// Signature checks already made: (issued certificate SHA-256, indicator) → verified. A stream
    /// of sessions with the same interception chain costs one OpenSSL check, not one each.
    private var verifiedSignatures: [SignatureKey: Bool?] = [:]
    private struct SignatureKey: Hashable {
        var issued: CertificateFingerprint
        var indicator: Int
    }
    private let onReport: (SessionReport) -> Void

    private struct Pending {
        var findings: [Finding]
        var chain: [KnownCertificate]
        var der: [[UInt8]]
        /// The leaf validates to the trust store, was issued after 2018-04-30 and embeds no SCT:
        /// an SCT must come in the TLS extension or the stapled OCSP response.
        var needsSCT: Bool
    }

    /// RFC 6962 compliance became mandatory for publicly trusted certificates issued from 2018-05-01.
    static let transparencyRequiredSince: Int64 = 1_525_132_800

    public init(indicators: IndicatorSet, chainJudge: ChainJudge = ChainJudge(rules: []),
                transparencyValidator: ChainValidator? = nil, cache: CertificateCache = CertificateCache(),
                maxRetainedDERBytes: Int = 64 << 20, onReport: @escaping (SessionReport) -> Void) {
        self.maxRetainedDERBytes = maxRetainedDERBytes
        self.indicators = indicators
        self.chainJudge = chainJudge
        self.transparencyValidator = transparencyValidator
        self.cache = cache
        self.onReport = onReport
    }

    public mutating func certificates(
        _ chain: borrowing CertificateChainView, from sender: EndpointRole, session: borrowing TLSSession,
        at time: Timestamp
    ) -> [CertificateFingerprint] {
        var known: [KnownCertificate] = []
        known.reserveCapacity(4)
        chain.forEach { bytes in known.append(cache.lookup(bytes)) }
        let fingerprints = known.map(\.sha256)
        guard sender == .server else { return fingerprints }
        // The chain's DER is copied only for what needs it: the chain-level rules, the SCT check,
        // an indicator's signature check, and the alert of a session with findings.
        var der: [[UInt8]] = []
        if !chainJudge.rules.isEmpty || transparencyValidator != nil { der = Self.copy(chain) }
        var indicatorCheck = knownInterceptionFindings(known, der: der)
        if indicatorCheck.needsDER {
            der = Self.copy(chain)
            indicatorCheck = knownInterceptionFindings(known, der: der)
        }
        var findings = indicatorCheck.findings
        findings += InterceptionShapeRule.evaluate(known)
        findings += chainJudge.evaluate(chain: known, der: der, session: session, at: time)
        var needsSCT = false
        if let validator = transparencyValidator, let leaf = known.first?.layout,
           leaf.notBefore >= Self.transparencyRequiredSince, (leaf.extensions.sctCount ?? 0) == 0 {
            needsSCT = validator.verify(chain: der, hostname: session.serverName, at: time.seconds,
                                        fingerprints: fingerprints).trusted
        }
        // A clean session needs nothing at its end: keep nothing.
        guard !findings.isEmpty || needsSCT else { return fingerprints }
        if !findings.isEmpty && der.isEmpty { der = Self.copy(chain) }
        let (chainKept, derKept) = retain(known, der)
        pending[session.id] = Pending(findings: findings, chain: chainKept, der: derKept, needsSCT: needsSCT)
        return fingerprints
    }

    /// What of a chain a pending session may keep under `maxRetainedDERBytes`: all, the leaf,
    /// or nothing.
    private mutating func retain(_ chain: [KnownCertificate], _ der: [[UInt8]]) -> ([KnownCertificate], [[UInt8]]) {
        var kept = (chain, der)
        if retainedDERBytes + Self.size(kept) > maxRetainedDERBytes {
            chainsNotRetained += 1
            kept = (Array(chain.prefix(1)), Array(der.prefix(1)))
            if retainedDERBytes + Self.size(kept) > maxRetainedDERBytes { kept = ([], []) }
        }
        retainedDERBytes += Self.size(kept)
        return kept
    }

    /// Bytes a kept chain costs (about: entries, DER, the names' strings).
    private static func size(_ kept: ([KnownCertificate], [[UInt8]])) -> Int {
        kept.0.reduce(0) { total, known in
            total + MemoryLayout<KnownCertificate>.stride + (known.subjectName?.utf8.count ?? 0)
                + (known.issuerName?.utf8.count ?? 0)
        } + kept.1.reduce(0) { $0 + $1.count }
    }

    /// `known-interception-ca` / `government-ca` findings. Signature checks are cached; when one
    /// is needed and not cached, and `der` is empty, `needsDER` asks for another call with it.
    private mutating func knownInterceptionFindings(_ known: [KnownCertificate], der: [[UInt8]])
        -> (findings: [Finding], needsDER: Bool) {
        var concerned = false
        for certificate in known where !unconcerned.contains(certificate.sha256) {
            if indicators.mayConcern(certificate) {
                concerned = true
            } else {
                if unconcerned.count >= 65_536 { unconcerned.removeAll(keepingCapacity: true) }
                unconcerned.insert(certificate.sha256)
            }
        }
        guard concerned else { return ([], false) }
        var cacheMisses: [(SignatureKey, Bool?)] = []
        var needsDER = false
        let findings = KnownInterceptionCARule.evaluate(known, indicators: indicators) { position, index in
            let key = SignatureKey(issued: known[position].sha256, indicator: index)
            if let cached = verifiedSignatures[key] { return cached }
            guard der.indices.contains(position) else {
                needsDER = true
                return nil
            }
            let verified = KnownInterceptionCARule.verifySignature(of: der[position], by: index, in: indicators)
            cacheMisses.append((key, verified))
            return verified
        }
        if verifiedSignatures.count + cacheMisses.count > 16_384 { verifiedSignatures.removeAll(keepingCapacity: true) }
        for (key, verified) in cacheMisses { verifiedSignatures[key] = .some(verified) }
        return (findings, needsDER)
    }

    private static func copy(_ chain: borrowing CertificateChainView) -> [[UInt8]] {
        var der: [[UInt8]] = []
        chain.forEach { der.append(Array(copying: $0)) }
        return der
    }

    public mutating func sessionEnded(_ session: TLSSession) {
        let entry = pending.removeValue(forKey: session.id)
        if let entry { retainedDERBytes -= Self.size((entry.chain, entry.der)) }
        var findings = entry?.findings ?? []
        if entry?.needsSCT == true, (session.serverHello?.sctCount ?? 0) == 0,
           !(session.ocspResponse.map(OCSPStapling.carriesSCTs) ?? false) {
            findings.append(Finding(rule: .missingSCT, position: 0,
                                    reasons: ["no-embedded-sct", "no-tls-extension-sct", "no-stapled-ocsp-sct"],
                                    issuerKey: entry?.chain.first?.authorityKeyIdentifier ?? entry?.chain.first?.issuerName))
        }
        onReport(SessionReport(session: session, findings: findings, serverChain: entry?.chain ?? [],
                               serverChainDER: findings.isEmpty ? [] : entry?.der ?? []))
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
