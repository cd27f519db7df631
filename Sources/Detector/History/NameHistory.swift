/// What one name (SNI, or the server address when there is none) was served, as the history
/// rules need it: issuing CA keys with when and how often, the versions and groups it chose when
/// offered TLS 1.3 and the post-quantum hybrid, and its ServerHello profiles per offer. Small
/// and bounded: the store keeps everything; this keeps what judging the next session takes.
public struct NameHistory: Sendable, Equatable {
    public struct Issuer: Sendable, Equatable {
        public var ca: IssuingCA
        public var firstSeen: Double
        public var lastSeen: Double
        public var count: Int

        public init(ca: IssuingCA, firstSeen: Double, lastSeen: Double, count: Int) {
            self.ca = ca
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
            self.count = count
        }

        /// As the store keeps it (`IssuingCA.key`); nil when `key` is not one.
        public init?(key: String, firstSeen: Double, lastSeen: Double, count: Int) {
            guard let ca = IssuingCA(key: key) else { return nil }
            self.init(ca: ca, firstSeen: firstSeen, lastSeen: lastSeen, count: count)
        }

        public var key: String { ca.key }
    }

    public struct Profile: Sendable, Equatable {
        public var offer: ClientOffer
        public var observation: Observation
        public var profile: ServerProfile
        public var firstSeen: Double
        public var lastSeen: Double
        public var count: Int

        public init(offer: ClientOffer, observation: Observation, profile: ServerProfile, firstSeen: Double,
                    lastSeen: Double, count: Int) {
            self.offer = offer
            self.observation = observation
            self.profile = profile
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
            self.count = count
        }
    }

    /// A name served by more issuing CAs than this (a CDN rotating CAs) is not judged by
    /// `issuer-change`: its set is never settled.
    public static let maxIssuers = 8
    /// Profiles kept per name (over all offers and observations).
    public static let maxProfiles = 8

    public var issuers: [Issuer] = []
    /// More issuing CAs were seen than `maxIssuers`.
    public var issuersOverflowed = false
    /// Sessions whose client offered TLS 1.3, and those of them that negotiated less.
    public var offeredTLS13 = 0
    public var negotiatedBelowTLS13 = 0
    /// Sessions whose client offered X25519MLKEM768, those that chose it and those that chose another group.
    public var offeredHybrid = 0
    public var choseHybrid = 0
    public var choseClassicalOverHybrid = 0
    public var profiles: [Profile] = []

    public init() {}

    public var chainObservations: Int { issuers.reduce(0) { $0 + $1.count } }
    public var firstChainSeen: Double? { issuers.lazy.map(\.firstSeen).min() }
    /// When the first ServerHello kept was seen.
    var firstHelloSeen: Double? { profiles.lazy.map(\.firstSeen).min() }

    mutating func recordIssuer(_ key: IssuingCA, at time: Double) {
        if let index = issuers.firstIndex(where: { $0.ca == key }) {
            issuers[index].count += 1
            issuers[index].lastSeen = max(issuers[index].lastSeen, time)
            issuers[index].firstSeen = min(issuers[index].firstSeen, time)
            return
        }
        if issuers.count >= Self.maxIssuers {
            issuersOverflowed = true
            // The least seen goes: the settled set is what the rule compares against.
            if let weakest = issuers.indices.min(by: { issuers[$0].count < issuers[$1].count }) { issuers.remove(at: weakest) }
        }
        issuers.append(Issuer(ca: key, firstSeen: time, lastSeen: time, count: 1))
    }

    /// A profile's aggregate as the store kept it (at start): counted into the version and group
    /// tallies as `count` sessions would have been.
    public mutating func seed(_ profile: ServerProfile, offer: ClientOffer, observation: Observation, firstSeen: Double,
                              lastSeen: Double, count: Int) {
        guard count > 0 else { return }
        if offer.tls13 {
            offeredTLS13 += count
            if profile.version < 0x0304 { negotiatedBelowTLS13 += count }
        }
        if offer.postQuantum, profile.version >= 0x0304, let group = profile.group {
            offeredHybrid += count
            if group == ClientOffer.hybridGroup { choseHybrid += count } else { choseClassicalOverHybrid += count }
        }
        if profiles.count >= Self.maxProfiles {
            guard let weakest = profiles.indices.min(by: { profiles[$0].count < profiles[$1].count }),
                  profiles[weakest].count < count else { return }
            profiles.remove(at: weakest)
        }
        profiles.append(Profile(offer: offer, observation: observation, profile: profile, firstSeen: firstSeen,
                                lastSeen: lastSeen, count: count))
    }

    mutating func recordHello(_ profile: ServerProfile, offer: ClientOffer, observation: Observation, at time: Double) {
        if offer.tls13 {
            offeredTLS13 += 1
            if profile.version < 0x0304 { negotiatedBelowTLS13 += 1 }
        }
        if offer.postQuantum, profile.version >= 0x0304, let group = profile.group {
            offeredHybrid += 1
            if group == ClientOffer.hybridGroup { choseHybrid += 1 } else { choseClassicalOverHybrid += 1 }
        }
        if let index = profiles.firstIndex(where: { $0.offer == offer && $0.observation == observation && $0.profile == profile }) {
            profiles[index].count += 1
            profiles[index].lastSeen = max(profiles[index].lastSeen, time)
            return
        }
        if profiles.count >= Self.maxProfiles,
           let weakest = profiles.indices.min(by: { profiles[$0].count < profiles[$1].count }) {
            profiles.remove(at: weakest)
        }
        profiles.append(Profile(offer: offer, observation: observation, profile: profile, firstSeen: time, lastSeen: time,
                                count: 1))
    }
}
