import Wire

/// The certificates of one Certificate handshake message, viewed where they lie (the record or
/// the flow's handshake buffer). Nothing is copied; iterate while the bytes are alive.
public struct CertificateChainView: ~Escapable {
    public enum Format: Sendable {
        /// TLS 1.0–1.2 and SSLv3: `opaque certificate_list<0..2^24-1>` of `ASN.1Cert<1..2^24-1>`.
        case tls12
        /// TLS 1.3: request context, then entries of certificate and extensions.
        case tls13
        /// SSLv2 SERVER-HELLO: exactly one certificate.
        case sslv2
    }

    public let format: Format
    /// Not every certificate of the message is listed: the message was larger than the per-flow
    /// cap (only the certificates wholly inside the part that was kept are listed), or it held
    /// more than `maxCertificates` (only the first ones are listed).
    public let isTruncated: Bool
    /// Certificates of the message past `maxCertificates`, not listed (0 when none were cut).
    public let certificatesOverCap: Int
    private let entries: ByteCursor

    /// Validates the framing of a Certificate message body. Returns nil when it is malformed
    /// (lengths that disagree or overrun), unless truncated, where a cut-off tail is expected.
    /// At most `maxCertificates` certificates are listed (a view of that prefix: no copy).
    @_lifetime(copy body)
    init?(body: consuming ByteCursor, format: Format, isTruncated: Bool = false, maxCertificates: Int = .max) {
        self.format = format
        switch format {
        case .sslv2:
            entries = body
            self.isTruncated = isTruncated
            certificatesOverCap = 0
            return
        case .tls12:
            break
        case .tls13:
            guard body.readUInt8LengthPrefixed() != nil else { return nil }
        }
        guard let declared = body.peekUInt24(), body.skip(3) else { return nil }
        var list: ByteCursor
        if isTruncated {
            list = body.readRest()
        } else {
            guard Int(declared) == body.remaining, let whole = body.read(Int(declared)) else { return nil }
            list = whole
            guard Self.framingIsValid(list, format: format) else { return nil }
        }
        let (listed, total) = Self.prefixLength(list, format: format, maxCertificates: max(0, maxCertificates))
        certificatesOverCap = total - min(total, max(0, maxCertificates))
        list.truncate(to: listed)
        entries = list
        self.isTruncated = isTruncated || certificatesOverCap > 0
    }

    private static func framingIsValid(_ list: ByteCursor, format: Format) -> Bool {
        var cursor = list
        while !cursor.isEmpty {
            guard cursor.readUInt24LengthPrefixed() != nil else { return false }
            if format == .tls13 && cursor.readUInt16LengthPrefixed() == nil { return false }
        }
        return true
    }

    /// How many bytes of `list` the first `maxCertificates` whole entries take, and how many
    /// whole entries there are in all.
    private static func prefixLength(_ list: ByteCursor, format: Format, maxCertificates: Int)
        -> (bytes: Int, certificates: Int) {
        var cursor = list
        var count = 0
        var bytes = 0
        while cursor.readUInt24LengthPrefixed() != nil {
            if format == .tls13 && cursor.readUInt16LengthPrefixed() == nil { break }
            count += 1
            if count <= maxCertificates { bytes = cursor.offset - list.offset }
        }
        return (bytes, count)
    }

    /// Calls `body` with each certificate's DER, in the order sent (leaf first).
    public func forEach(_ body: (Span<UInt8>) -> Void) {
        var cursor = entries
        if format == .sslv2 {
            body(cursor.bytes)
            return
        }
        while let certificate = cursor.readUInt24LengthPrefixed() {
            if format == .tls13 && cursor.readUInt16LengthPrefixed() == nil { return }
            body(certificate.bytes)
        }
    }

}

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

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
            && lhs.words.3 == rhs.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// Lowercase hex, 64 characters.
    public var description: String {
        [words.0, words.1, words.2, words.3].map { word in
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }
}
