import Testing
@testable import Output
import Certificates

/// The x509 member cache answers only for the very leaf (and names) it was given, and stays bounded.
@Suite struct LeafFieldsCacheTests {
    static func fingerprint(_ low: UInt64) -> CertificateFingerprint {
        CertificateFingerprint(words: (low, 0, 0, 0))
    }

    @Test func aHitNeedsTheSameDERAndNames() {
        var cache = LeafFieldsCache()
        let key = Self.fingerprint(5)
        #expect(cache.member(fingerprint: key, der: [1, 2, 3], subjectName: "CN=a", issuerName: "CN=b") == nil)
        cache.keep([9, 9], fingerprint: key, der: [1, 2, 3], subjectName: "CN=a", issuerName: "CN=b")
        #expect(cache.member(fingerprint: key, der: [1, 2, 3], subjectName: "CN=a", issuerName: "CN=b") == [9, 9])
        #expect(cache.member(fingerprint: key, der: [1, 2, 4], subjectName: "CN=a", issuerName: "CN=b") == nil)
        #expect(cache.member(fingerprint: key, der: [1, 2, 3], subjectName: nil, issuerName: "CN=b") == nil)
        #expect(cache.member(fingerprint: key, der: [1, 2, 3], subjectName: "CN=a", issuerName: "CN=c") == nil)
    }

    @Test func twoLeavesShareTheirFirstSlotAndAThirdEvicts() {
        var cache = LeafFieldsCache()
        let slots = UInt64(LeafFieldsCache.slotCount)
        // Same first slot (words.0), different second slots (words.1).
        let a = CertificateFingerprint(words: (1, 2, 0, 0)), b = CertificateFingerprint(words: (1 + slots, 3, 0, 0))
        let c = CertificateFingerprint(words: (1 + 2 * slots, 3, 0, 0))  // both its slots taken
        cache.keep([1], fingerprint: a, der: [1], subjectName: nil, issuerName: nil)
        cache.keep([2], fingerprint: b, der: [2], subjectName: nil, issuerName: nil)
        #expect(cache.member(fingerprint: a, der: [1], subjectName: nil, issuerName: nil) == [1])
        #expect(cache.member(fingerprint: b, der: [2], subjectName: nil, issuerName: nil) == [2])
        cache.keep([3], fingerprint: c, der: [3], subjectName: nil, issuerName: nil)
        #expect(cache.member(fingerprint: c, der: [3], subjectName: nil, issuerName: nil) == [3])
        #expect(cache.member(fingerprint: a, der: [1], subjectName: nil, issuerName: nil) == nil)
        #expect(cache.member(fingerprint: b, der: [2], subjectName: nil, issuerName: nil) == [2])
    }

    @Test func aLeafCountsAsMissedFromItsSecondMiss() {
        var cache = LeafFieldsCache()
        let key = Self.fingerprint(7)
        let first = cache.missedBefore(key), second = cache.missedBefore(key)
        let other = cache.missedBefore(CertificateFingerprint(words: (7, 0, 1, 0)))
        #expect(!first && second && !other)
    }

    @Test func aLongMemberIsNotKept() {
        var cache = LeafFieldsCache()
        let key = Self.fingerprint(7)
        cache.keep(Array(repeating: 0x20, count: LeafFieldsCache.maxMemberBytes + 1), fingerprint: key, der: [1],
                   subjectName: nil, issuerName: nil)
        #expect(cache.member(fingerprint: key, der: [1], subjectName: nil, issuerName: nil) == nil)
    }
}
