import Certificates
/// Capture time of a packet: nanoseconds since the Unix epoch, as recorded by the capture.
/// Int64 nanoseconds reach 1677–2262 only: certificate times (years 0000–9999) are kept as seconds
/// and printed by the Detector's `CertificateTime`, never through a `Timestamp`.
public struct Timestamp: Comparable, Hashable, Sendable {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public init(seconds: Int64, nanoseconds: Int64 = 0) {
        self.nanoseconds = seconds &* 1_000_000_000 &+ nanoseconds
    }

    public static let zero = Timestamp(nanoseconds: 0)

    public var seconds: Int64 { nanoseconds.dividedFloor(by: 1_000_000_000) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public func adding(seconds: Double) -> Timestamp {
        Timestamp(nanoseconds: nanoseconds &+ Int64(seconds * 1_000_000_000))
    }

    /// RFC 3339 in UTC with microsecond precision, e.g. `2019-07-19T10:01:02.123456Z`.
    public var rfc3339: String { rfc3339(microseconds: true) }

    /// RFC 3339 in UTC, with or without the microseconds.
    public func rfc3339(microseconds: Bool) -> String {
        let secs = seconds
        let micros = (nanoseconds - secs * 1_000_000_000) / 1000
        let days = secs.dividedFloor(by: 86_400)
        let secondOfDay = secs - days * 86_400
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let fraction = microseconds ? ".\(pad(micros, 6))" : ""
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))\(fraction)Z"
    }

    /// Proleptic Gregorian date from days since 1970-01-01 (the certificate module's).
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        CertificateTime.civilDate(daysSinceEpoch: daysSinceEpoch)
    }
}

extension Int64 {
    func dividedFloor(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
