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

    @Test func aLeafInTheSameSlotReplacesTheOldOne() {
        var cache = LeafFieldsCache()
        let first = Self.fingerprint(1), second = Self.fingerprint(1 + UInt64(LeafFieldsCache.slotCount))
        cache.keep([1], fingerprint: first, der: [1], subjectName: nil, issuerName: nil)
        cache.keep([2], fingerprint: second, der: [2], subjectName: nil, issuerName: nil)
        #expect(cache.member(fingerprint: first, der: [1], subjectName: nil, issuerName: nil) == nil)
        #expect(cache.member(fingerprint: second, der: [2], subjectName: nil, issuerName: nil) == [2])
    }

    @Test func aLongMemberIsNotKept() {
        var cache = LeafFieldsCache()
        let key = Self.fingerprint(7)
        cache.keep(Array(repeating: 0x20, count: LeafFieldsCache.maxMemberBytes + 1), fingerprint: key, der: [1],
                   subjectName: nil, issuerName: nil)
        #expect(cache.member(fingerprint: key, der: [1], subjectName: nil, issuerName: nil) == nil)
    }
}
