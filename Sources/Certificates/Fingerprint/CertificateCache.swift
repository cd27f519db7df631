import Wire

/// What is remembered of a certificate: its fingerprints, its parsed layout, and the few
/// strings detection compares (made once per distinct certificate, on a cache miss).
public struct KnownCertificate: Sendable {
    public var sha256: CertificateFingerprint
    /// SHA-256 of the SubjectPublicKeyInfo; nil when the certificate did not parse.
    public var spkiSHA256: CertificateFingerprint?
    public var layout: CertificateLayout?
    public var parseError: X509ParseError?
    /// Lowercase hex SHA-1 (some sources publish only that).
    public var sha1: String = ""
    /// RFC 2253 names, as `openssl -nameopt RFC2253` prints them.
    public var subjectName: String?
    public var issuerName: String?
    /// Lowercase hex key identifiers.
    public var subjectKeyIdentifier: String?
    public var authorityKeyIdentifier: String?
    /// The DER, copied once when the certificate is examined and shared from then on (with the
    /// cache's slot, a session's findings: handing it on copies no byte), for what must see the
    /// bytes after the message is gone — OpenSSL, an alert that prints them.
    public var der: [UInt8] = []
}

/// Certificates seen before are neither hashed nor parsed again. Most real traffic repeats a
/// small set of chains, so this turns SHA-256 + parse into a hash lookup and a byte compare.
///
/// Lookup is by a seeded fast hash of the DER; a hit is confirmed by comparing the whole DER
/// with the stored copy, so a collision (accidental or crafted) can never return another
/// certificate's entry. Bounded: two generations of at most `capacity / 2` entries each
/// (least recently used ones fall out) and at most `maxBytes` of stored DER and the strings made
/// from it.
public struct CertificateCache {
    private struct Slot {
        var known: KnownCertificate
        var der: [UInt8] { known.der }

        /// What the entry holds on the heap: the DER and the strings made from it (a name's
        /// RFC 2253 form can be three times its DER, a key identifier's hex twice).
        var bytes: Int {
            der.count + (known.subjectName?.utf8.count ?? 0) + (known.issuerName?.utf8.count ?? 0)
                + (known.subjectKeyIdentifier?.utf8.count ?? 0) + (known.authorityKeyIdentifier?.utf8.count ?? 0)
        }
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
    /// Bytes of DER and strings the entries hold, within `maxBytes`.
    public var storedBytes: Int { currentBytes + previousBytes }

    /// The certificate's fingerprints and layout, from the cache or computed now.
    public mutating func lookup(_ der: Span<UInt8>) -> KnownCertificate {
        let key = Self.key(der, seed: seed)
        if let slot = current[key], Self.equal(slot.der, der) {
            hits += 1
            return slot.known
        }
        if let slot = previous[key], Self.equal(slot.der, der) {
            hits += 1
            previous[key] = nil
            previousBytes -= slot.bytes
            insert(key, slot)
            return slot.known
        }
        misses += 1
        let known = Self.examine(der, hasher: hasher)
        let slot = Slot(known: known)
        if slot.bytes <= maxBytes / 4 { insert(key, slot) }
        return known
    }

    /// The first and last 128 bytes and the length pick the slot: serial numbers sit near the
    /// start and signatures at the end, so distinct certificates differ there, and a hit is
    /// confirmed by comparing every byte anyway (hashing all of it would cost more than that).
    private static func key(_ der: Span<UInt8>, seed: UInt64) -> UInt64 {
        guard der.count > 256 else { return FastHash.hash(der, seed: seed) }
        let head = FastHash.hash(der.extracting(first: 128), seed: seed)
        return FastHash.hash(der.extracting(last: 128), seed: head ^ UInt64(der.count))
    }

    /// Hashes and parses a certificate (the work the cache saves).
    public static func examine(_ der: Span<UInt8>, hasher: CertificateHasher = CertificateHasher()) -> KnownCertificate {
        let copy = Array(copying: der)
        let sha256 = hasher.sha256(der)
        let sha1 = CertificateHasher.sha1Hex(der)
        do {
            let view = try CertificateView(der: der)
            let layout = view.layout
            let spki = hasher.sha256(view.bytes(layout.subjectPublicKeyInfo))
            var known = KnownCertificate(sha256: sha256, spkiSHA256: spki, layout: layout, parseError: nil, sha1: sha1)
            known.der = copy
            known.subjectName = DistinguishedName.rfc2253(view.bytes(layout.subject))
            known.issuerName = DistinguishedName.rfc2253(view.bytes(layout.issuer))
            if layout.extensions.subjectKeyIdentifier.isPresent {
                known.subjectKeyIdentifier = ByteCursor(view.bytes(layout.extensions.subjectKeyIdentifier)).hexString
            }
            if layout.extensions.authorityKeyIdentifier.isPresent {
                known.authorityKeyIdentifier = ByteCursor(view.bytes(layout.extensions.authorityKeyIdentifier)).hexString
            }
            return known
        } catch {
            var known = KnownCertificate(sha256: sha256, spkiSHA256: nil, layout: nil, parseError: error, sha1: sha1)
            known.der = copy
            return known
        }
    }

    private mutating func insert(_ key: UInt64, _ slot: Slot) {
        if current.count >= capacity / 2 || currentBytes + slot.bytes > maxBytes / 2 {
            previous = current
            previousBytes = currentBytes
            current = [:]
            currentBytes = 0
        }
        if let replaced = current.updateValue(slot, forKey: key) { currentBytes -= replaced.bytes }
        currentBytes += slot.bytes
    }

    private static func equal(_ stored: [UInt8], _ der: Span<UInt8>) -> Bool {
        stored.span.bytesEqual(der)
    }
}
