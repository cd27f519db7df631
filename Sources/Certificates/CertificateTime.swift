/// A certificate time — seconds since the Unix epoch, as `ASN1Time` reads it — as a date.
///
/// GeneralizedTime spans the years 0000–9999 (RFC 5280 §4.1.2.5 gives 99991231235959Z for "no
/// well-defined expiration"), far beyond the ±292 years of a capture `Timestamp`'s nanoseconds,
/// so certificate times are formatted from their seconds: proleptic Gregorian, the calendar of
/// OpenSSL's `ASN1_TIME_to_tm`. Works for any `Int64`.
public enum CertificateTime {
    /// RFC 3339 in UTC, e.g. `9999-12-31T23:59:59Z`. The year has four digits, zero-padded
    /// (`0001-01-01T00:00:00Z`; `openssl x509 -dateopt iso_8601` pads it with spaces). A time
    /// zone offset or a leap second can push a time just outside 0000–9999; such a year is
    /// written as it is (`10000`, `-0001`).
    public static func rfc3339(_ seconds: Int64) -> String {
        let remainder = seconds % 86_400
        let secondOfDay = remainder < 0 ? remainder + 86_400 : remainder
        let days = seconds / 86_400 - (remainder < 0 ? 1 : 0)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        var text = year < 0 ? "-" : ""
        text += padded(year.magnitude, 4) + "-" + padded(UInt64(month), 2) + "-" + padded(UInt64(day), 2)
        text += "T" + padded(UInt64(secondOfDay / 3600), 2) + ":" + padded(UInt64(secondOfDay / 60 % 60), 2)
        text += ":" + padded(UInt64(secondOfDay % 60), 2) + "Z"
        return text
    }

    /// The date of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`, the
    /// inverse of `ASN1Time.daysFromCivil`).
    public static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func padded(_ value: UInt64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
