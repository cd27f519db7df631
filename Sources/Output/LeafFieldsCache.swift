import Certificates

/// The encoded `"x509":{…}` member of recently alerted leaves, so an alert about a leaf seen
/// before copies its fields instead of walking its DER again.
///
/// Interception repeats itself: one box serves the same minted leaf for a name to every client,
/// and a CA missing from the trust store signs the same few leaves all day, so alerts concern a
/// handful of leaves again and again. Bound and eviction: 64 slots, each leaf given two by its
/// SHA-256 (uniform bits an attacker cannot steer without a hash preimage); a new leaf takes the
/// free one of its two or else replaces its first slot's leaf (no bookkeeping on a hit), and a member
/// longer than 4 KiB (a leaf with hundreds of alternative names) is not kept — so the cache never
/// holds more than 64 × 4 KiB, whatever the traffic; a stream of distinct leaves only misses,
/// each miss costing what writing the fields costs anyway plus one copy. A hit is confirmed on the
/// DER itself (the array the certificate cache shares, so normally an identity check) and on the
/// names the member was written with: the cached bytes are a function of exactly those.
struct LeafFieldsCache: Sendable {
    static let slotCount = 64
    static let maxMemberBytes = 4096

    private struct Slot: Sendable {
        var der: [UInt8]
        var subjectName: String?
        var issuerName: String?
        var member: [UInt8]
    }

    /// Empty until the first leaf is kept (a buffer that never writes an alert allocates nothing).
    private var slots: [Slot?] = []
    /// Leaves missed before, one bit each by their SHA-256 (a false positive only keeps a leaf
    /// at its first alert): a leaf is kept at its second alert, so a buffer made for one report
    /// (the daemon's) never allocates for the cache.
    private var missed = InlineArray<4, UInt64>(repeating: 0)

    /// Whether this leaf was missed before; marks it missed.
    mutating func missedBefore(_ fingerprint: CertificateFingerprint) -> Bool {
        let bit = Int(truncatingIfNeeded: fingerprint.words.2 & 255)
        let mask: UInt64 = 1 << UInt64(bit & 63)
        let seen = missed[bit >> 6] & mask != 0
        missed[bit >> 6] |= mask
        return seen
    }

    /// The two slots a leaf may sit in (two choices, so two hot leaves whose first slots
    /// collide do not push each other out on every alert).
    @inline(__always)
    private static func slots(_ fingerprint: CertificateFingerprint) -> (Int, Int) {
        let mask = UInt64(slotCount - 1)
        return (Int(truncatingIfNeeded: fingerprint.words.0 & mask), Int(truncatingIfNeeded: fingerprint.words.1 & mask))
    }

    /// The member kept for this leaf, if any.
    func member(fingerprint: CertificateFingerprint, der: [UInt8], subjectName: String?,
                issuerName: String?) -> [UInt8]? {
        guard !slots.isEmpty else { return nil }
        let (first, second) = Self.slots(fingerprint)
        func kept(_ index: Int) -> [UInt8]? {
            guard let slot = slots[index], slot.der == der, slot.subjectName == subjectName,
                  slot.issuerName == issuerName
            else { return nil }
            return slot.member
        }
        return kept(first) ?? kept(second)
    }

    /// Keeps the member in the leaf's first slot if it is free, else in its second if that is
    /// free, else in its first (the leaf there is evicted).
    mutating func keep(_ member: [UInt8], fingerprint: CertificateFingerprint, der: [UInt8], subjectName: String?,
                       issuerName: String?) {
        guard member.count <= Self.maxMemberBytes else { return }
        if slots.isEmpty { slots = Array(repeating: nil, count: Self.slotCount) }
        let (first, second) = Self.slots(fingerprint)
        let index = slots[first] != nil && slots[second] == nil ? second : first
        slots[index] = Slot(der: der, subjectName: subjectName, issuerName: issuerName, member: member)
    }
}
