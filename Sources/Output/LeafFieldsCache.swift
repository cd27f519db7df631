import Certificates

/// The encoded `"x509":{…}` member of recently alerted leaves, so an alert about a leaf seen
/// before copies its fields instead of walking its DER again.
///
/// Interception repeats itself: one box serves the same minted leaf for a name to every client,
/// and a CA missing from the trust store signs the same few leaves all day, so alerts concern a
/// handful of leaves again and again. Bound and eviction: 64 direct-mapped slots chosen by the
/// leaf's SHA-256 (uniform bits an attacker cannot steer to a slot without a hash preimage), a
/// new leaf simply replaces the slot's previous one (no bookkeeping on a hit), and a member
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

    @inline(__always)
    private static func slot(_ fingerprint: CertificateFingerprint) -> Int {
        Int(truncatingIfNeeded: fingerprint.words.0 & UInt64(slotCount - 1))
    }

    /// The member kept for this leaf, if any.
    func member(fingerprint: CertificateFingerprint, der: [UInt8], subjectName: String?,
                issuerName: String?) -> [UInt8]? {
        guard !slots.isEmpty, let slot = slots[Self.slot(fingerprint)], slot.der == der,
              slot.subjectName == subjectName, slot.issuerName == issuerName
        else { return nil }
        return slot.member
    }

    mutating func keep(_ member: [UInt8], fingerprint: CertificateFingerprint, der: [UInt8], subjectName: String?,
                       issuerName: String?) {
        guard member.count <= Self.maxMemberBytes else { return }
        if slots.isEmpty { slots = Array(repeating: nil, count: Self.slotCount) }
        slots[Self.slot(fingerprint)] = Slot(der: der, subjectName: subjectName, issuerName: issuerName, member: member)
    }
}
