import Certificates
import Detector
import Sniffer

/// Folds session reports into what the store keeps — per (name, chain) and per (name, ServerHello
/// profile), with first and last seen and counts, and each certificate once — in memory, with a
/// few hash lookups per report: the 20,000 handshakes of the bench capture are ~22 chain rows.
/// Bounded: `isFull` once `capacity` aggregates are pending, and the owner drains it early.
/// Not thread-safe (see `ObservationSink`).
public struct ObservationAggregator {
    private struct ChainKey: Hashable {
        var name: ObservedName
        var certificates: [CertificateFingerprint]
    }

    private struct ProfileKey: Hashable {
        var name: ObservedName
        var hello: ServerHelloKey
    }

    /// X25519MLKEM768, the post-quantum hybrid key-share group.
    public static let x25519MLKEM768 = ClientOffer.hybridGroup
    /// Pending aggregates that make the aggregator full, by default: about 200 bytes each, so a
    /// few megabytes; a million distinct names are then about 100 early drains, not a million rows in memory.
    public static let defaultCapacity = 16_384
    /// Certificates remembered as handed on (so each is sent once), forgotten all at once beyond:
    /// sending one again costs an INSERT that does nothing.
    static let sentCertificatesCapacity = 65_536

    public let capacity: Int
    private var chains: [ChainKey: ChainObservation] = [:]
    private var profiles: [ProfileKey: ProfileObservation] = [:]
    private var certificates: [CertificateFingerprint: StoredCertificate] = [:]
    private var sentCertificates: Set<CertificateFingerprint> = []
    private var observations = 0

    public init(capacity: Int = defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    /// Aggregates waiting to be drained (chains, profiles, certificates).
    public var pending: Int { chains.count + profiles.count + certificates.count }
    public var isFull: Bool { pending >= capacity }
    public var isEmpty: Bool { observations == 0 && pending == 0 }

    /// The name a session's history is kept under — the history rules' (its SNI in lower case,
    /// else the server address), so the store and the rules agree on every name.
    public static func name(of session: TLSSession) -> ObservedName {
        let hasSNI = !(session.serverName?.isEmpty ?? true)
        return ObservedName(name: HistoryRules.name(of: session), kind: hasSNI ? .sni : .address)
    }

    public mutating func add(_ report: SessionReport) {
        let session = report.session
        let name = Self.name(of: session)
        let time = session.end.seconds
        observations += 1
        if let fingerprints = session.serverChain?.fingerprints, !fingerprints.isEmpty {
            addChain(fingerprints, name: name, time: time, report: report)
        }
        if let hello = session.serverHello, !hello.isHelloRetryRequest {
            let offer = ClientOffer(session)  // what the history rules compare answers by
            let key = ServerHelloKey(hello, clientOfferedTLS13: offer.tls13, clientOfferedMLKEM: offer.postQuantum,
                                     observation: report.observation.rawValue)
            let profileKey = ProfileKey(name: name, hello: key)
            // Updated in place: one lookup, no copy of the aggregate.
            if let index = profiles.index(forKey: profileKey) {
                profiles.values[index].seen(at: time)
            } else {
                profiles[profileKey] = ProfileObservation(name: name, key: key, firstSeen: time, lastSeen: time, count: 1)
            }
        }
        for known in report.serverChain where !known.der.isEmpty && !sentCertificates.contains(known.sha256) {
            if certificates[known.sha256] == nil { certificates[known.sha256] = StoredCertificate(known) }
        }
    }

    private mutating func addChain(_ fingerprints: [CertificateFingerprint], name: ObservedName, time: Int64, report: SessionReport) {
        // The leaf as parsed, when the report carries it (the issuer may come with a later report).
        let leaf = report.serverChain.first.flatMap { $0.sha256 == fingerprints[0] ? $0 : nil }
        let key = ChainKey(name: name, certificates: fingerprints)
        let probe = report.observation == .probe
        if let index = chains.index(forKey: key) {
            // Updated in place through one access: one lookup, no copy of the aggregate.
            chains.values[index].seen(at: time, probe: probe, leaf: leaf, findings: report.findings)
        } else {
            chains[key] = ChainObservation(
                name: name, certificates: fingerprints, issuer: leaf?.issuerName,
                issuingCA: leaf.flatMap { IssuingCA(issuerOf: $0)?.key }, firstSeen: time, lastSeen: time,
                passiveCount: probe ? 0 : 1, probeCount: probe ? 1 : 0, rules: report.verdict)
        }
    }

    static func order(_ rule: String) -> Int { Rule.allCases.firstIndex { $0.rawValue == rule } ?? Int.max }

    /// Everything pending, as one batch; the aggregator starts empty again.
    public mutating func drain() -> StoreBatch {
        var batch = StoreBatch()
        batch.chains = Array(chains.values)
        batch.profiles = Array(profiles.values)
        batch.certificates = Array(certificates.values)
        batch.observations = observations
        if sentCertificates.count + certificates.count > Self.sentCertificatesCapacity { sentCertificates.removeAll() }
        sentCertificates.formUnion(certificates.keys)
        chains.removeAll()
        profiles.removeAll()
        certificates.removeAll()
        observations = 0
        return batch
    }
}

extension ChainObservation {
    /// One more session that was served this chain.
    mutating func seen(at time: Int64, probe: Bool, leaf: KnownCertificate?, findings: [Finding]) {
        firstSeen = min(firstSeen, time)
        lastSeen = max(lastSeen, time)
        if probe { probeCount += 1 } else { passiveCount += 1 }
        if let leaf {
            if issuer == nil { issuer = leaf.issuerName }
            if issuingCA == nil { issuingCA = IssuingCA(issuerOf: leaf)?.key }
        }
        for finding in findings where !rules.contains(finding.rule.rawValue) {
            rules.append(finding.rule.rawValue)
            // In rule order, as `SessionReport.verdict` lists them.
            rules.sort { ObservationAggregator.order($0) < ObservationAggregator.order($1) }
        }
    }
}

extension ProfileObservation {
    mutating func seen(at time: Int64) {
        firstSeen = min(firstSeen, time)
        lastSeen = max(lastSeen, time)
        count += 1
    }
}
