import Sniffer
import Wire

/// What is remembered of a certificate: its fingerprints and its parsed layout.
public struct KnownCertificate: Sendable {
    public var sha256: CertificateFingerprint
    /// SHA-256 of the SubjectPublicKeyInfo; nil when the certificate did not parse.
    public var spkiSHA256: CertificateFingerprint?
    public var layout: CertificateLayout?
    public var parseError: X509ParseError?
}

/// Certificates seen before are neither hashed nor parsed again. Most real traffic repeats a
/// small set of chains, so this turns SHA-256 + parse into a hash lookup and a byte compare.
///
/// Lookup is by a seeded fast hash of the DER; a hit is confirmed by comparing the whole DER
/// with the stored copy, so a collision (accidental or crafted) can never return another
/// certificate's entry. Bounded: two generations of at most `capacity / 2` entries each
/// (least recently used ones fall out) and at most `maxBytes` of stored DER.
public struct CertificateCache {
    private struct Slot {
        var der: [UInt8]
        var known: KnownCertificate
    }

    private var current: [UInt64: Slot] = [:]
    private var previous: [UInt64: Slot] = [:]
    private var currentBytes = 0
    private var previousBytes = 0
    private let seed: UInt64
    private let hasher = CertificateHasher()
    public let capacity: Int
    public let maxBytes: Int
    public private(set) var hits: UInt64 = 0
    public private(set) var misses: UInt64 = 0

    public init(capacity: Int = 16_384, maxBytes: Int = 64 << 20) {
        self.capacity = max(2, capacity)
        self.maxBytes = max(4096, maxBytes)
        seed = UInt64.random(in: .min ... .max)
    }

    public var count: Int { current.count + previous.count }

    /// The certificate's fingerprints and layout, from the cache or computed now.
    public mutating func lookup(_ der: Span<UInt8>) -> KnownCertificate {
        let key = FastHash.hash(der, seed: seed)
        if let slot = current[key], Self.equal(slot.der, der) {
            hits += 1
            return slot.known
        }
        if let slot = previous[key], Self.equal(slot.der, der) {
            hits += 1
            previous[key] = nil
            previousBytes -= slot.der.count
            insert(key, slot)
            return slot.known
        }
        misses += 1
        let known = Self.examine(der, hasher: hasher)
        if der.count <= maxBytes / 4 { insert(key, Slot(der: Array(copying: der), known: known)) }
        return known
    }

    /// Hashes and parses a certificate (the work the cache saves).
    public static func examine(_ der: Span<UInt8>, hasher: CertificateHasher = CertificateHasher()) -> KnownCertificate {
        let sha256 = hasher.sha256(der)
        do {
            let view = try CertificateView(der: der)
            let spki = hasher.sha256(view.bytes(view.layout.subjectPublicKeyInfo))
            return KnownCertificate(sha256: sha256, spkiSHA256: spki, layout: view.layout, parseError: nil)
        } catch {
            return KnownCertificate(sha256: sha256, spkiSHA256: nil, layout: nil, parseError: error)
        }
    }

    private mutating func insert(_ key: UInt64, _ slot: Slot) {
        if current.count >= capacity / 2 || currentBytes + slot.der.count > maxBytes / 2 {
            previous = current
            previousBytes = currentBytes
            current = [:]
            currentBytes = 0
        }
        if let replaced = current.updateValue(slot, forKey: key) { currentBytes -= replaced.der.count }
        currentBytes += slot.der.count
    }

    private static func equal(_ stored: [UInt8], _ der: Span<UInt8>) -> Bool {
        guard stored.count == der.count else { return false }
        let storedSpan = stored.span
        for index in 0..<der.count where storedSpan[index] != der[index] { return false }
        return true
    }
}
