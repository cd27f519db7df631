import OpenSSLBridge

/// SHA-256 of a certificate's DER, held inline.
public struct CertificateFingerprint: Hashable, Sendable, CustomStringConvertible {
    public var words: (UInt64, UInt64, UInt64, UInt64)

    public init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    /// From 64 hex digits (either case), as printed by `description`.
    public init?(hex: String) {
        var words: [UInt64] = []
        var value: UInt64 = 0
        var digits = 0
        for unit in hex.utf8 {
            guard digits < 64, let nibble = Self.nibble(unit) else { return nil }
            value = value << 4 | UInt64(nibble)
            digits += 1
            if digits % 16 == 0 {
                words.append(value)
                value = 0
            }
        }
        guard digits == 64 else { return nil }
        self.words = (words[0], words[1], words[2], words[3])
    }

    private static func nibble(_ unit: UInt8) -> UInt8? {
        switch unit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): unit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): unit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): unit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// From 32 digest bytes (big-endian words).
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        func word(_ start: Int) -> UInt64 {
            var value: UInt64 = 0
            for index in start..<start + 8 { value = value << 8 | UInt64(bytes[index]) }
            return value
        }
        words = (word(0), word(8), word(16), word(24))
    }

    /// The digest it is (equality, hashing and hex are the digest's).
    public var digest: SHA256Digest { SHA256Digest(words: words) }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.digest == rhs.digest }

    public func hash(into hasher: inout Hasher) { digest.hash(into: &hasher) }

    /// Lowercase hex, 64 characters.
    public var description: String { digest.description }
}
