import Wire

/// UTCTime (years 50–99 are 19xx, 00–49 are 20xx) and GeneralizedTime (years 0000–9999), RFC 5280
/// §4.1.2.5, to seconds since the Unix epoch; `CertificateTime` turns them back into dates.
enum ASN1Time {
    static let utcTimeTag = ASN1Tag(0x17)
    static let generalizedTimeTag = ASN1Tag(0x18)

    /// Reads one time value; `unusual` is set for fractional seconds, a missing `Z` or a
    /// `+hhmm`/`-hhmm` offset (accepted, as OpenSSL accepts them). Consumes nothing on failure,
    /// so the caller's error offset points at the time that could not be read.
    static func read(_ cursor: inout ByteCursor, unusual: inout Bool) -> Int64? {
        var probe = cursor
        guard let element = probe.readASN1Element() else { return nil }
        let text = element.contents
        let seconds: Int64?
        switch element.tag {
        case utcTimeTag:
            guard let yy = digits(text, 0, 2) else { return nil }
            seconds = civil(year: yy < 50 ? 2000 + yy : 1900 + yy, text, at: 2, unusual: &unusual)
        case generalizedTimeTag:
            guard let year = digits(text, 0, 4) else { return nil }
            seconds = civil(year: year, text, at: 4, unusual: &unusual)
        default:
            return nil
        }
        guard let seconds else { return nil }
        cursor = probe
        return seconds
    }

    /// MMDDHHMM[SS][.fff](Z|+hhmm|-hhmm) after the year. An offset is subtracted to get UTC, as
    /// OpenSSL's `ASN1_TIME_to_tm` does (hours at most 12). A day the month does not have
    /// (February 29 outside a leap year, April 31) is no time, as for OpenSSL, BoringSSL and
    /// mozilla::pkix.
    private static func civil(year: Int64, _ text: ByteCursor, at start: Int, unusual: inout Bool) -> Int64? {
        guard let month = digits(text, start, 2), let day = digits(text, start + 2, 2),
              let hour = digits(text, start + 4, 2), let minute = digits(text, start + 6, 2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour <= 23, minute <= 59
        else { return nil }
        var index = start + 8
        var second: Int64 = 0
        if let value = digits(text, index, 2) {
            guard value <= 60 else { return nil }
            second = value
            index += 2
        } else {
            unusual = true
        }
        if text.peek(index) == UInt8(ascii: ".") {
            unusual = true
            index += 1
            while let byte = text.peek(index), byte >= 0x30, byte <= 0x39 { index += 1 }
        }
        var offset: Int64 = 0
        if text.peek(index) == UInt8(ascii: "Z") {
            index += 1
        } else if let sign = text.peek(index), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            guard let hours = digits(text, index + 1, 2), let minutes = digits(text, index + 3, 2),
                  hours <= 12, minutes <= 59 else { return nil }
            offset = (hours * 3600 + minutes * 60) * (sign == UInt8(ascii: "+") ? 1 : -1)
            index += 5
            unusual = true
        } else {
            unusual = true
        }
        guard index == text.remaining else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return days * 86_400 + hour * 3600 + minute * 60 + second - offset
    }

    @inline(__always)
    private static func digits(_ text: ByteCursor, _ start: Int, _ count: Int) -> Int64? {
        let bytes = text.bytes
        guard start >= 0, count >= 0, start <= bytes.count &- count else { return nil }
        var value: Int64 = 0
        for index in start..<start &+ count {
            let digit = bytes[index] &- 0x30
            guard digit <= 9 else { return nil }
            value = value &* 10 &+ Int64(digit)
        }
        return value
    }

    /// Days of a month in the proleptic Gregorian calendar (year 0000 is a leap year).
    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`; `CertificateTime.civilDate` is its inverse).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
