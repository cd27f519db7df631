import Certificates
import Sniffer

/// `issuer-change`, `tls-downgrade` and `server-profile-change`: each session judged against its
/// name's history in the `HistoryBook`, then recorded in it. A chain is judged when it is seen
/// (after the other rules, whose findings raise an issuer change to high); the ServerHello when
/// the session ends (a TLS 1.3 session shows no chain, and its ServerHello is all it shows).
public struct HistoryRules: Sendable {
    public let book: HistoryBook
    public let settings: HistorySettings

    public init(book: HistoryBook, settings: HistorySettings) {
        self.book = book
        self.settings = settings
    }

    /// The history's key for a session: its SNI, lower case, or the server's address (as the
    /// store names it).
    public static func name(of session: TLSSession) -> String {
        if let name = session.serverName, !name.isEmpty {
            return name.utf8.contains { (0x41...0x5a).contains($0) } ? name.lowercased() : name
        }
        return session.server.address.description
    }

    static func seconds(_ time: Timestamp) -> Double { Double(time.nanoseconds) / 1e9 }

    /// `issuer-change` on a chain, given the findings the other rules made on it; records the chain.
    func judgeChain(_ context: borrowing ChainContext, others: [Finding]) -> Finding? {
        guard let leaf = context.leaf, let issuer = IssuingCA(issuerOf: leaf) else { return nil }
        let key = issuer
        let now = Self.seconds(context.time)
        let threshold = settings.issuerChange
        return book.update(Self.name(of: context.session)) { history, caKeys in
            let known = history.issuers.contains { $0.ca == key }
            defer {
                history.recordIssuer(key, at: now)
                if !known { caKeys.insert(key) }  // a CA already in the name's history is in the set
            }
            guard !history.issuersOverflowed, !known,
                  threshold.settled(observations: history.chainObservations, since: history.firstChainSeen, now: now)
            else { return nil }
            let alsoFired = others.map(\.rule).filter { $0 != .malformedChain && $0 != .interceptionShape }
            let caNewHere = !caKeys.contains(key)
            let change = HistoryChange.IssuerChange(
                usual: history.issuers.sorted { $0.count > $1.count }.map(\.key), now: key.key,
                observations: history.chainObservations, since: history.firstChainSeen ?? now, caNewHere: caNewHere,
                alsoFired: Array(Set(alsoFired)).sorted { $0.rawValue < $1.rawValue })
            return Finding(rule: .issuerChange, position: 0, issuingCA: issuer, evidence: .history(.issuer(change)),
                           severity: caNewHere || !alsoFired.isEmpty ? .high : .medium)
        }
    }

    /// `tls-downgrade` and `server-profile-change` on a finished session's ServerHello; records it.
    func judgeHello(_ session: TLSSession, observation: Observation) -> [Finding] {
        guard let hello = session.serverHello, !hello.isHelloRetryRequest, !hello.isMalformed,
              !session.clientHellos.isEmpty else { return [] }
        let profile = ServerProfile(hello)
        let offer = ClientOffer(session)
        let now = Self.seconds(session.end)
        return book.update(Self.name(of: session)) { history, _ in
            defer { history.recordHello(profile, offer: offer, observation: observation, at: now) }
            var findings: [Finding] = []
            let downgrade = settings.tlsDowngrade
            // Settled: enough offers, and (nearly) every one answered with TLS 1.3 (one in a hundred may not).
            if downgrade.enabled, offer.tls13, profile.version < 0x0304, history.offeredTLS13 >= downgrade.minObservations,
               history.negotiatedBelowTLS13 * 100 <= history.offeredTLS13,
               downgrade.settled(observations: history.offeredTLS13, since: history.firstHelloSeen, now: now) {
                findings.append(Finding(rule: .tlsDowngrade, evidence: .history(.version(
                    usual: 0x0304, now: profile.version, observations: history.offeredTLS13))))
            }
            if downgrade.enabled, offer.postQuantum, profile.version >= 0x0304, let group = profile.group,
               group != ClientOffer.hybridGroup, history.offeredHybrid >= downgrade.minObservations,
               history.choseClassicalOverHybrid * 100 <= history.offeredHybrid,
               downgrade.settled(observations: history.offeredHybrid, since: history.firstHelloSeen, now: now) {
                findings.append(Finding(rule: .tlsDowngrade, evidence: .history(.group(
                    usual: ClientOffer.hybridGroup, now: group, observations: history.offeredHybrid))))
            }
            let threshold = settings.serverProfileChange
            guard findings.isEmpty, threshold.enabled else { return findings }
            // The profiles of the same offer and observation, in one pass (no array made).
            var usual: NameHistory.Profile?
            var count = 0
            var first = Double.infinity
            for entry in history.profiles where entry.offer == offer && entry.observation == observation {
                if entry.profile == profile { return findings }
                count += entry.count
                first = min(first, entry.firstSeen)
                if entry.count > usual?.count ?? 0 { usual = entry }
            }
            if let usual, threshold.settled(observations: count, since: first, now: now) {
                findings.append(Finding(rule: .serverProfileChange, evidence: .history(.profile(
                    before: usual.profile, now: profile, observations: count))))
            }
            return findings
        }
    }
}
