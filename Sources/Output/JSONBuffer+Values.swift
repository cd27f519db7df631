import Sniffer
import Wire
import Certificates

// Values formatted straight into the buffer, each the same text its `String` form gives today
// (`String(value)`, `Timestamp.rfc3339`, `CertificateFingerprint.description`,
// `IPAddress.description`, `String(format4Hex:)`).

extension JSONBuffer {
    // MARK: Numbers

    public mutating func int(_ value: Int) { int64(Int64(value)) }

    public mutating func int64(_ value: Int64) {
        if value < 0 { appendByte(UInt8(ascii: "-")) }
        uint64(value.magnitude)
    }

    public mutating func uint64(_ value: UInt64) {
        write(upTo: 20) { $0.appendDecimal(value) }
    }

    public mutating func bool(_ value: Bool) {
        if value { appendStatic("true") } else { appendStatic("false") }
    }

    @inline(__always)
    static func digitCount(_ value: UInt64) -> Int {
        var count = 1, rest = value
        while rest >= 10 {
            rest /= 10
            count += 1
        }
        return count
    }

    /// Decimal digits of `value` written back to front into bytes already reserved before `end`.
    @inline(__always)
    private mutating func writeDigits(_ value: UInt64, endingBefore end: Int) {
        var rest = value, index = end - 1
        repeat {
            set(index, 0x30 + UInt8(rest % 10))
            rest /= 10
            index -= 1
        } while rest > 0
    }

    /// `value` left-padded with zeros to `width` characters, the sign counted as one (so -5 at
    /// width 4 is `00-5`, as the `pad` of `Timestamp.rfc3339` makes it).
    mutating func padded(_ value: Int64, width: Int) {
        let magnitude = value.magnitude
        let length = Self.digitCount(magnitude) + (value < 0 ? 1 : 0)
        if length < width { _ = reserve(width - length) }
        if value < 0 { appendByte(UInt8(ascii: "-")) }
        _ = reserve(Self.digitCount(magnitude))
        writeDigits(magnitude, endingBefore: bytes.count)
    }

    // MARK: Times

    /// A quoted RFC 3339 UTC time with microseconds, as `Timestamp.rfc3339`.
    public mutating func timestamp(_ time: Timestamp) {
        let seconds = time.nanoseconds.floorDivided(by: 1_000_000_000)
        let micros = (time.nanoseconds &- seconds &* 1_000_000_000) / 1000
        rfc3339(seconds: seconds, microseconds: micros)
    }

    /// A quoted RFC 3339 UTC time to the second from seconds since the epoch (certificate
    /// validity): proleptic Gregorian, right for every year 0000–9999 a certificate can carry.
    public mutating func date(seconds: Int64) {
        rfc3339(seconds: seconds, microseconds: nil)
    }

    private mutating func rfc3339(seconds: Int64, microseconds: Int64?) {
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let date = civilDays.date(days)
        guard (0...9999).contains(date.year) else {
            rfc3339Padded(date, secondOfDay: secondOfDay, microseconds: microseconds)
            return
        }
        // The usual case in one write: every part has a fixed width.
        write(upTo: 29) { out in
            out.append(UInt8(ascii: "\""))
            out.appendDigits(UInt64(date.year), width: 4)
            out.append(UInt8(ascii: "-"))
            out.appendDigits(UInt64(date.month), width: 2)
            out.append(UInt8(ascii: "-"))
            out.appendDigits(UInt64(date.day), width: 2)
            out.append(UInt8(ascii: "T"))
            out.appendDigits(UInt64(secondOfDay / 3600), width: 2)
            out.append(UInt8(ascii: ":"))
            out.appendDigits(UInt64(secondOfDay / 60 % 60), width: 2)
            out.append(UInt8(ascii: ":"))
            out.appendDigits(UInt64(secondOfDay % 60), width: 2)
            if let microseconds {
                out.append(UInt8(ascii: "."))
                out.appendDigits(UInt64(microseconds), width: 6)
            }
            out.append(UInt8(ascii: "Z"))
            out.append(UInt8(ascii: "\""))
        }
    }

    /// Years outside 0000–9999 (capture times far off; never a certificate's), padded as
    /// `Timestamp.rfc3339` pads them.
    private mutating func rfc3339Padded(_ date: CivilDate, secondOfDay: Int64, microseconds: Int64?) {
        appendByte(UInt8(ascii: "\""))
        padded(date.year, width: 4)
        appendByte(UInt8(ascii: "-"))
        padded(date.month, width: 2)
        appendByte(UInt8(ascii: "-"))
        padded(date.day, width: 2)
        appendByte(UInt8(ascii: "T"))
        padded(secondOfDay / 3600, width: 2)
        appendByte(UInt8(ascii: ":"))
        padded(secondOfDay / 60 % 60, width: 2)
        appendByte(UInt8(ascii: ":"))
        padded(secondOfDay % 60, width: 2)
        if let microseconds {
            appendByte(UInt8(ascii: "."))
            padded(microseconds, width: 6)
        }
        appendStatic("Z\"")
    }

    // MARK: Hex

    /// A quoted fingerprint: 64 lowercase hex digits.
    public mutating func fingerprint(_ value: CertificateFingerprint) {
        write(upTo: 66) { out in
            out.append(UInt8(ascii: "\""))
            out.appendHexWord(value.words.0)
            out.appendHexWord(value.words.1)
            out.appendHexWord(value.words.2)
            out.appendHexWord(value.words.3)
            out.append(UInt8(ascii: "\""))
        }
    }

    /// A quoted `0x` and four lowercase hex digits (cipher suites, groups).
    public mutating func hex4(_ value: UInt16) {
        write(upTo: 8) { out in
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "x"))
            out.append(HexDigits.lower(UInt8(value >> 12)))
            out.append(HexDigits.lower(UInt8(value >> 8 & 0x0f)))
            out.append(HexDigits.lower(UInt8(value >> 4 & 0x0f)))
            out.append(HexDigits.lower(UInt8(value & 0x0f)))
            out.append(UInt8(ascii: "\""))
        }
    }

    /// Quoted hex of bytes, two digits each.
    public mutating func hexString(_ value: Span<UInt8>, uppercase: Bool) {
        appendByte(UInt8(ascii: "\""))
        for index in 0..<value.count {
            let byte = value[index]
            appendByte(uppercase ? HexDigits.upper(byte >> 4) : HexDigits.lower(byte >> 4))
            appendByte(uppercase ? HexDigits.upper(byte & 0x0f) : HexDigits.lower(byte & 0x0f))
        }
        appendByte(UInt8(ascii: "\""))
    }

    // MARK: Addresses

    /// A quoted address: dotted quad for IPv4, RFC 5952 for IPv6, as `IPAddress.description`.
    public mutating func ipAddress(_ address: IPAddress) { ipAddress(address, quoted: true) }

    /// The address's text, quoted or not (inside a sentence).
    mutating func ipAddress(_ address: IPAddress, quoted: Bool) {
        if address.isIPv4 {
            let v = UInt32(truncatingIfNeeded: address.low)
            write(upTo: 17) { out in
                if quoted { out.append(UInt8(ascii: "\"")) }
                out.appendDecimal(UInt64(v >> 24))
                out.append(UInt8(ascii: "."))
                out.appendDecimal(UInt64(v >> 16 & 0xff))
                out.append(UInt8(ascii: "."))
                out.appendDecimal(UInt64(v >> 8 & 0xff))
                out.append(UInt8(ascii: "."))
                out.appendDecimal(UInt64(v & 0xff))
                if quoted { out.append(UInt8(ascii: "\"")) }
            }
        } else {
            if quoted { appendByte(UInt8(ascii: "\"")) }
            ipv6(address)
            if quoted { appendByte(UInt8(ascii: "\"")) }
        }
    }

    private mutating func ipv6(_ address: IPAddress) {
        func group(_ index: Int) -> UInt16 {
            let word = index < 4 ? address.high : address.low
            return UInt16(truncatingIfNeeded: word >> UInt64(48 - 16 * (index % 4)))
        }
        // The longest run (length ≥ 2) of zero groups becomes "::" (the first one on ties).
        var bestStart = -1, bestLength = 0, index = 0
        while index < 8 {
            if group(index) == 0 {
                var end = index
                while end < 8 && group(end) == 0 { end += 1 }
                if end - index > bestLength {
                    bestStart = index
                    bestLength = end - index
                }
                index = end
            } else {
                index += 1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        index = 0
        var wroteAny = false, endsWithColon = false
        while index < 8 {
            if index == bestStart {
                appendStatic("::")
                wroteAny = true
                endsWithColon = true
                index += bestLength
                continue
            }
            if wroteAny && !endsWithColon { appendByte(UInt8(ascii: ":")) }
            let value = group(index)
            var shift: UInt16 = 12
            while shift > 0 && value >> shift == 0 { shift -= 4 }
            while true {
                appendByte(HexDigits.lower(UInt8(value >> shift & 0x0f)))
                if shift == 0 { break }
                shift -= 4
            }
            wroteAny = true
            endsWithColon = false
            index += 1
        }
    }
}

extension OutputSpan where Element == UInt8 {
    /// Decimal digits, as many as the value needs (at most 20); values below 1000 (ports,
    /// octets, counts) without a division by a divisor known only at run time.
    @inline(__always)
    mutating func appendDecimal(_ value: UInt64) {
        switch value {
        case 0..<10: appendDigits(value, width: 1)
        case 10..<100: appendDigits(value, width: 2)
        case 100..<1000: appendDigits(value, width: 3)
        default: appendDigitsBackward(value, width: JSONBuffer.digitCount(value))
        }
    }

    /// The last `width` decimal digits of `value`, zero-padded (`width` 1 to 20): with a
    /// constant width the divisions fold into multiplications.
    @inline(__always)
    mutating func appendDigits(_ value: UInt64, width: Int) {
        var divisor: UInt64 = 1
        var position = 1
        while position < width {
            divisor &*= 10
            position += 1
        }
        while position > 0 {
            append(0x30 &+ UInt8(truncatingIfNeeded: (value / divisor) % 10))
            divisor /= 10
            position -= 1
        }
    }

    /// The last `width` decimal digits of `value`, zero-padded (`width` at most 20), made back to front.
    @inline(__always)
    mutating func appendDigitsBackward(_ value: UInt64, width: Int) {
        var digits = InlineArray<20, UInt8>(repeating: UInt8(ascii: "0"))
        var rest = value, index = 19
        while rest > 0 && index >= 20 - width {
            digits[index] = 0x30 &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
            index -= 1
        }
        for position in (20 - width)..<20 { append(digits[position]) }
    }

    /// 16 lowercase hex digits.
    @inline(__always)
    mutating func appendHexWord(_ word: UInt64) {
        appendHexDigits(UInt32(truncatingIfNeeded: word >> 32))
        appendHexDigits(UInt32(truncatingIfNeeded: word))
    }

    /// 8 lowercase hex digits, made eight at a time: each nibble spread to a byte of its own
    /// (the first digit in the top byte), then turned into its ASCII digit in every byte at once.
    @inline(__always)
    mutating func appendHexDigits(_ value: UInt32) {
        var v = UInt64(value)
        v = (v | v << 16) & 0x0000_ffff_0000_ffff
        v = (v | v << 8) & 0x00ff_00ff_00ff_00ff
        v = (v | v << 4) & 0x0f0f_0f0f_0f0f_0f0f
        let letters = ((v &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101  // 1 where the nibble is ≥ 10
        v = v &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
        append(UInt8(truncatingIfNeeded: v >> 56))
        append(UInt8(truncatingIfNeeded: v >> 48))
        append(UInt8(truncatingIfNeeded: v >> 40))
        append(UInt8(truncatingIfNeeded: v >> 32))
        append(UInt8(truncatingIfNeeded: v >> 24))
        append(UInt8(truncatingIfNeeded: v >> 16))
        append(UInt8(truncatingIfNeeded: v >> 8))
        append(UInt8(truncatingIfNeeded: v))
    }
}

/// The last day turned into a date: a capture's records mostly fall on one day.
struct CivilDayCache: Sendable {
    private var days: Int64 = 0
    private var cached = CivilDate(daysSinceEpoch: 0)

    mutating func date(_ days: Int64) -> CivilDate {
        if days != self.days {
            self.days = days
            cached = CivilDate(daysSinceEpoch: days)
        }
        return cached
    }
}

/// A proleptic Gregorian date from days since 1970-01-01 (Howard Hinnant's `civil_from_days`),
/// valid for any day an Int64 count of seconds can name.
struct CivilDate: Sendable {
    var year: Int64
    var month: Int64
    var day: Int64

    init(daysSinceEpoch: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }
}

extension Int64 {
    @inline(__always)
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
