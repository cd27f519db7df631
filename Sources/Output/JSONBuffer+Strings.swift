import Wire
import Certificates

// String values. Whatever the bytes, the line stays valid UTF-8 JSON: `"` and `\` are escaped,
// so are U+0000–U+001F (`\n`, `\r`, `\t`, else `\u00xx`) and DEL (`\u007f`), and every invalid
// UTF-8 sequence becomes one U+FFFD per maximal subpart — what `String(decoding:as: UTF8.self)`
// makes of the same bytes. Everything else (U+2028, U+2029, C1 controls) is copied as it is.

extension JSONBuffer {
    /// A quoted, escaped string.
    public mutating func string(_ value: String) {
        utf8String(value.utf8.span)
    }

    /// A quoted string from bytes that should be UTF-8 (off the network: validated while copied).
    public mutating func utf8String(_ value: Span<UInt8>) {
        appendByte(UInt8(ascii: "\""))
        utf8Contents(value)
        appendByte(UInt8(ascii: "\""))
    }

    /// The escaped contents of a string, without the quotes (for values written in pieces).
    mutating func utf8Contents(_ value: Span<UInt8>) {
        var index = 0, runStart = 0
        let count = value.count
        while index < count {
            // Eight plain ASCII bytes at a time (nothing to escape or validate in them).
            while index + 8 <= count && Self.isPlainASCII(value.loadUInt64LittleEndian(at: index)) { index += 8 }
            guard index < count else { break }
            let byte = value[index]
            if byte < 0x80 {
                if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte != 0x7f {
                    index += 1
                    continue
                }
                if runStart < index { appendSpan(value.extracting(runStart..<index)) }
                escapeASCII(byte)
                index += 1
                runStart = index
                continue
            }
            let sequence = UTF8Sequence.at(value, index)
            if sequence.valid {
                index += sequence.length
                continue
            }
            if runStart < index { appendSpan(value.extracting(runStart..<index)) }
            appendReplacement()
            index += sequence.length
            runStart = index
        }
        if runStart < count { appendSpan(value.extracting(runStart..<count)) }
    }

    /// Whether none of eight bytes is below 0x20, `"`, `\`, DEL or above (exact: the usual
    /// "has a zero byte" tricks give no false positive for the word as a whole).
    @inline(__always)
    static func isPlainASCII(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word & highs
        let quote = (word ^ (ones &* 0x22)), backslash = (word ^ (ones &* 0x5c))
        let hasQuote = (quote &- ones) & ~quote & highs
        let hasBackslash = (backslash &- ones) & ~backslash & highs
        let deleteOrHigh = (word | ((word & ~highs) &+ ones)) & highs
        return control | hasQuote | hasBackslash | deleteOrHigh == 0
    }

    /// A quoted string of one-byte characters as Latin-1 (byte n is U+00nn), as the certificate
    /// code reads PrintableString, IA5String, T61String and the like.
    public mutating func latin1String(_ value: Span<UInt8>) {
        appendByte(UInt8(ascii: "\""))
        for index in 0..<value.count { scalar(UInt32(value[index])) }
        appendByte(UInt8(ascii: "\""))
    }

    /// A quoted string of big-endian UTF-16 (BMPString); lone surrogates become U+FFFD and an odd
    /// last byte is ignored, as `String(decoding:as: UTF16.self)` over the whole units.
    public mutating func utf16BEString(_ value: Span<UInt8>) {
        appendByte(UInt8(ascii: "\""))
        let units = value.count / 2
        var index = 0
        func unit(_ position: Int) -> UInt32 { UInt32(value[2 * position]) << 8 | UInt32(value[2 * position + 1]) }
        while index < units {
            let first = unit(index)
            index += 1
            if first < 0xd800 || first > 0xdfff {
                scalar(first)
            } else if first <= 0xdbff, index < units, case let second = unit(index), (0xdc00...0xdfff).contains(second) {
                scalar(0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00))
                index += 1
            } else {
                appendReplacement()
            }
        }
        appendByte(UInt8(ascii: "\""))
    }

    /// A quoted string of big-endian UTF-32 (UniversalString); values that are not Unicode scalars
    /// become U+FFFD, trailing bytes short of a unit are ignored.
    public mutating func utf32BEString(_ value: Span<UInt8>) {
        appendByte(UInt8(ascii: "\""))
        var index = 0
        while index + 4 <= value.count {
            let code = UInt32(value[index]) << 24 | UInt32(value[index + 1]) << 16 | UInt32(value[index + 2]) << 8
                | UInt32(value[index + 3])
            if code < 0xd800 || (0xe000...0x10ffff).contains(code) { scalar(code) } else { appendReplacement() }
            index += 4
        }
        appendByte(UInt8(ascii: "\""))
    }

    /// One Unicode scalar (a valid one: the callers check), escaped if it is ASCII that must be.
    @inline(__always)
    mutating func scalar(_ value: UInt32) {
        switch value {
        case 0..<0x80:
            let byte = UInt8(value)
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte != 0x7f {
                appendByte(byte)
            } else {
                escapeASCII(byte)
            }
        case 0x80..<0x800:
            appendByte(0xc0 | UInt8(value >> 6))
            appendByte(0x80 | UInt8(value & 0x3f))
        case 0x800..<0x10000:
            appendByte(0xe0 | UInt8(value >> 12))
            appendByte(0x80 | UInt8(value >> 6 & 0x3f))
            appendByte(0x80 | UInt8(value & 0x3f))
        default:
            appendByte(0xf0 | UInt8(value >> 18))
            appendByte(0x80 | UInt8(value >> 12 & 0x3f))
            appendByte(0x80 | UInt8(value >> 6 & 0x3f))
            appendByte(0x80 | UInt8(value & 0x3f))
        }
    }

    /// U+FFFD REPLACEMENT CHARACTER.
    @inline(__always)
    mutating func appendReplacement() {
        appendByte(0xef)
        appendByte(0xbf)
        appendByte(0xbd)
    }

    /// `\"`, `\\`, `\n`, `\r`, `\t`, or `\u00xx` (lowercase hex) for the other controls and DEL.
    mutating func escapeASCII(_ byte: UInt8) {
        appendByte(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): appendByte(byte)
        case UInt8(ascii: "\n"): appendByte(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): appendByte(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): appendByte(UInt8(ascii: "t"))
        default:
            appendStatic("u00")
            appendByte(HexDigits.lower(byte >> 4))
            appendByte(HexDigits.lower(byte & 0x0f))
        }
    }
}

/// One UTF-8 sequence starting with a byte ≥ 0x80 (Unicode 15 Table 3-7): its length when
/// well-formed, else the length of its maximal subpart (at least 1), which is replaced by one
/// U+FFFD — so overlong forms (C0 AF), encoded surrogates (ED A0 80), 5- and 6-byte forms and
/// values above U+10FFFF come out as one U+FFFD per byte, and a sequence cut short as one.
enum UTF8Sequence {
    @inline(__always)
    static func at(_ bytes: Span<UInt8>, _ index: Int) -> (valid: Bool, length: Int) {
        let lead = bytes[index]
        var needed = 0
        var low: UInt8 = 0x80, high: UInt8 = 0xbf
        switch lead {
        case 0xc2...0xdf: needed = 1
        case 0xe0: needed = 2; low = 0xa0
        case 0xe1...0xec, 0xee...0xef: needed = 2
        case 0xed: needed = 2; high = 0x9f
        case 0xf0: needed = 3; low = 0x90
        case 0xf1...0xf3: needed = 3
        case 0xf4: needed = 3; high = 0x8f
        default: return (false, 1)  // a continuation byte, C0, C1, F5–FF
        }
        var offset = 1
        while offset <= needed {
            guard index + offset < bytes.count else { return (false, offset) }
            let byte = bytes[index + offset]
            guard byte >= low && byte <= high else { return (false, offset) }
            low = 0x80
            high = 0xbf
            offset += 1
        }
        return (true, needed + 1)
    }
}

enum HexDigits {
    @inline(__always)
    static func lower(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }
    @inline(__always)
    static func upper(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x37 + nibble }
}
