/// Why a certificate could not be read: where (byte offset into the DER) and what was expected.
public struct X509ParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var offset: Int
    public var expected: String

    public init(offset: Int, expected: String) {
        self.offset = offset
        self.expected = expected
    }

    public var description: String { "invalid certificate at byte \(offset): expected \(expected)" }
}

/// Oddities real CAs ship that are kept going past, and reported.
public struct CertificateNotes: OptionSet, Sendable, Hashable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let negativeSerial = CertificateNotes(rawValue: 1 << 0)
    /// More than the 20 octets RFC 5280 allows.
    public static let longSerial = CertificateNotes(rawValue: 1 << 1)
    public static let zeroOrEmptySerial = CertificateNotes(rawValue: 1 << 2)
    public static let emptySubject = CertificateNotes(rawValue: 1 << 3)
    public static let emptyIssuer = CertificateNotes(rawValue: 1 << 4)
    /// A name uses T61String, BMPString, UniversalString or another legacy string type (set by
    /// `CertificateDescription`, which reads the names; the view itself does not).
    public static let legacyStringType = CertificateNotes(rawValue: 1 << 5)
    public static let duplicateExtension = CertificateNotes(rawValue: 1 << 6)
    public static let unknownCriticalExtension = CertificateNotes(rawValue: 1 << 7)
    /// Extensions in a version 1 or 2 certificate.
    public static let extensionsBeforeV3 = CertificateNotes(rawValue: 1 << 8)
    /// The inner and outer signature algorithms differ.
    public static let signatureAlgorithmMismatch = CertificateNotes(rawValue: 1 << 9)
    /// A known extension's value could not be parsed; it is listed but its fields are absent.
    public static let malformedExtension = CertificateNotes(rawValue: 1 << 10)
    /// A GeneralizedTime with fractional seconds or a time other than DER's form.
    public static let unusualTime = CertificateNotes(rawValue: 1 << 11)
    /// Validity ends before it starts.
    public static let invertedValidity = CertificateNotes(rawValue: 1 << 12)

    public static let all: [(CertificateNotes, String)] = [
        (.negativeSerial, "negative-serial"), (.longSerial, "serial-longer-than-20-octets"),
        (.zeroOrEmptySerial, "zero-or-empty-serial"), (.emptySubject, "empty-subject"),
        (.emptyIssuer, "empty-issuer"), (.legacyStringType, "legacy-string-type"),
        (.duplicateExtension, "duplicate-extension"), (.unknownCriticalExtension, "unknown-critical-extension"),
        (.extensionsBeforeV3, "extensions-before-v3"), (.signatureAlgorithmMismatch, "signature-algorithm-mismatch"),
        (.malformedExtension, "malformed-extension"), (.unusualTime, "unusual-time-encoding"),
        (.invertedValidity, "validity-ends-before-it-starts"),
    ]

    public var names: [String] { Self.all.filter { contains($0.0) }.map(\.1) }
}
