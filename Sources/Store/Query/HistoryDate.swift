/// `--since` as a person writes it: `YYYY-MM-DD` (midnight UTC) or ISO 8601 with a time,
/// `YYYY-MM-DDTHH:MM[:SS[.fraction]]` and `Z` or an offset `±HH:MM` (UTC when neither).
public enum HistoryDate {
    /// Unix seconds, or nil when `text` is not such a date.
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + count] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            index += count
            return value
        }
        func take(_ ascii: Character) -> Bool {
            guard index < bytes.count, bytes[index] == ascii.asciiValue else { return false }
            index += 1
            return true
        }
        guard let year = number(4), take("-"), let month = number(2), take("-"), let day = number(2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        var seconds = days(year: year, month: month, day: day) * 86_400
        guard index < bytes.count else { return seconds }
        guard take("T") || take("t") || take(" "), let hour = number(2), take(":"), let minute = number(2),
              hour < 24, minute < 60 else { return nil }
        seconds += hour * 3600 + minute * 60
        if take(":") {
            guard let second = number(2), second < 61 else { return nil }
            seconds += second
            if take(".") || take(",") {
                let start = index
                while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
                guard index > start else { return nil }
            }
        }
        if take("Z") || take("z") || index == bytes.count {
            return index == bytes.count ? seconds : nil
        }
        let sign: Int64
        if take("+") { sign = 1 } else if take("-") { sign = -1 } else { return nil }
        guard let offsetHours = number(2), offsetHours < 24 else { return nil }
        _ = take(":")
        guard let offsetMinutes = number(2), offsetMinutes < 60, index == bytes.count else { return nil }
        return seconds - sign * (offsetHours * 3600 + offsetMinutes * 60)
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    private static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
