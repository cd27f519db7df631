import Foundation
import Sniffer
import Testing
import TestSupport
import Wire
@testable import Detector
@testable import Output
import Certificates

/// Values formatted into the buffer are the text their `String` forms give.
@Suite struct ValueFormattingTests {
    static func text(_ write: (inout JSONBuffer) -> Void) -> String {
        var json = JSONBuffer()
        write(&json)
        return String(decoding: json.bytes, as: UTF8.self)
    }

    @Test func integersAsStringInit() {
        var generator = SeededGenerator(state: 1)
        var values: [Int64] = [0, 1, -1, 9, 10, 99, 100, Int64.max, Int64.min, -10, 1_000_000]
        for _ in 0..<2000 { values.append(Int64.random(in: Int64.min...Int64.max, using: &generator) >> Int64.random(in: 0...62, using: &generator)) }
        for value in values {
            #expect(Self.text { $0.int64(value) } == String(value))
            #expect(Self.text { $0.uint64(value.magnitude) } == String(value.magnitude))
        }
        #expect(Self.text { $0.uint64(UInt64.max) } == String(UInt64.max))
    }

    @Test func timestampsAsRFC3339() {
        var generator = SeededGenerator(state: 2)
        var values: [Int64] = [0, -1, 1, 999, 1_000_000_000, -1_000_000_000, -1_000_000_001, 1_563_530_462_123_456_789,
                               Int64.max, -9_223_372_035_000_000_000, 951_782_400_000_000_000 /* 2000-02-29 */, -62_135_596_800_000_000 /* year 0 */]
        // (Near Int64.min, `Timestamp.rfc3339` itself overflows; no capture holds such a time.)
        for _ in 0..<5000 { values.append(Int64.random(in: -9_223_372_035_000_000_000...Int64.max, using: &generator)) }
        for nanoseconds in values {
            let time = Timestamp(nanoseconds: nanoseconds)
            #expect(Self.text { $0.timestamp(time) } == "\"" + time.rfc3339 + "\"", "\(nanoseconds)")
        }
    }

    /// Certificate dates: the same as before wherever the previous formatter was right (it went
    /// through nanoseconds, which overflow after 2262), and right for every year 0000–9999.
    @Test func certificateDatesForEveryYear() {
        var generator = SeededGenerator(state: 3)
        for _ in 0..<5000 {
            let seconds = Int64.random(in: -9_000_000_000...9_000_000_000, using: &generator)
            #expect(Self.text { $0.date(seconds: seconds) } == "\"" + Timestamp(seconds: seconds).rfc3339(microseconds: false) + "\"")
        }
        #expect(CertificateRecord.date(253_402_300_799) == "9999-12-31T23:59:59Z")
        #expect(CertificateRecord.date(-62_167_219_200) == "0000-01-01T00:00:00Z")
        #expect(CertificateRecord.date(-62_162_035_201) == "0000-02-29T23:59:59Z")  // year 0 is a leap year
        #expect(CertificateRecord.date(-631_152_000) == "1950-01-01T00:00:00Z")
        #expect(CertificateRecord.date(2_524_607_999) == "2049-12-31T23:59:59Z")
        #expect(CertificateRecord.date(32_503_680_000) == "3000-01-01T00:00:00Z")
        #expect(CertificateRecord.date(13_574_563_200) == "2400-02-29T00:00:00Z")
        // Against Foundation's Gregorian calendar for random seconds over the whole range.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for _ in 0..<2000 {
            let seconds = Int64.random(in: -12_000_000_000...253_402_300_799, using: &generator)
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second],
                                                from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.year!, parts.month!, parts.day!,
                                  parts.hour!, parts.minute!, parts.second!)
            #expect(CertificateRecord.date(seconds) == expected, "\(seconds)")
        }
    }

    @Test func addressesAsDescription() {
        var generator = SeededGenerator(state: 4)
        var addresses: [IPAddress] = [
            IPAddress(ipv4: 0), IPAddress(ipv4: 0xffff_ffff), IPAddress(ipv4: 0x7f00_0001), IPAddress(high: 0, low: 0),
            IPAddress(high: 0, low: 1), IPAddress(high: 0x2001_0db8_0000_0000, low: 0x0000_0000_0000_0001),
            IPAddress(high: 0x2001_0db8_0000_0001, low: 0x0000_0001_0000_0001), IPAddress(high: 0xfe80_0000_0000_0000, low: 0x1),
            IPAddress(high: 0x0001_0000_0000_0000, low: 0x0000_0000_0000_0000), IPAddress(high: 0, low: 0xffff),
            IPAddress(high: 0, low: 0x0000_fffe_0000_0001), IPAddress(high: UInt64.max, low: UInt64.max),
        ]
        for _ in 0..<5000 {
            // Random groups, many of them zero so that runs of every length and place occur.
            var words: [UInt64] = [0, 0]
            for group in 0..<8 where Int.random(in: 0...2, using: &generator) == 0 {
                let value = UInt64(UInt16.random(in: 0...UInt16.max, using: &generator) >> UInt16.random(in: 0...15, using: &generator))
                words[group / 4] |= value << UInt64(48 - 16 * (group % 4))
            }
            addresses.append(IPAddress(high: words[0], low: words[1]))
            addresses.append(IPAddress(ipv4: UInt32.random(in: 0...UInt32.max, using: &generator)))
        }
        for address in addresses {
            #expect(Self.text { $0.ipAddress(address) } == "\"" + address.description + "\"")
        }
    }

    @Test func fingerprintsAndHexAsBefore() {
        var generator = SeededGenerator(state: 5)
        for _ in 0..<1000 {
            let fingerprint = CertificateFingerprint(words: (generator.next(), generator.next() >> 40, generator.next(), 0))
            #expect(Self.text { $0.fingerprint(fingerprint) } == "\"" + fingerprint.description + "\"")
            let value = UInt16.random(in: 0...UInt16.max, using: &generator)
            #expect(Self.text { $0.hex4(value) } == "\"" + String(format4Hex: value) + "\"")
            let bytes = (0..<Int.random(in: 0...21, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(Self.text { $0.hexString(bytes.span, uppercase: true) } == "\"" + ByteCursor(bytes.span).hexString.uppercased() + "\"")
        }
    }

    @Test func dottedOIDsAsOIDDotted() {
        var generator = SeededGenerator(state: 6)
        var samples: [[UInt8]] = [[], [0x80], [0x2a, 0x86, 0x48], [0x55, 0x04, 0x03], [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b],
                                  [0x80, 0x01], [0x01, 0x80, 0x01], Array(repeating: 0xff, count: 12) + [0x01], [0x7f], [0x81, 0x00]]
        for _ in 0..<5000 {
            samples.append((0..<Int.random(in: 1...14, using: &generator)).map { _ in
                Bool.random(using: &generator) ? UInt8.random(in: 0...0x7f, using: &generator) : UInt8.random(in: 0x80...0xff, using: &generator)
            })
        }
        for oid in samples {
            #expect(Self.text { $0.dottedOID(oid.span) } == (OID.dotted(oid.span) ?? "?"), "\(oid)")
        }
    }

    /// Output's octet-keyed tables encode the certificate module's dotted OIDs exactly.
    @Test func algorithmNamesAreTheCertificateModules() {
        func byDotted(_ list: [(dotted: String, name: StaticString)]) -> [String: String] {
            Dictionary(list.map { ($0.dotted, "\($0.name)") }, uniquingKeysWith: { first, _ in first })
        }
        for (table, reference) in [(Output.AlgorithmNames.signature, byDotted(Certificates.AlgorithmNames.signatureList)),
                                   (Output.AlgorithmNames.publicKey, byDotted(Certificates.AlgorithmNames.publicKeyList))] {
            #expect(table.count == reference.count)
            for entry in table {
                let dotted = OID.dotted(entry.oid.span)
                #expect(dotted.flatMap { reference[$0] } == "\(entry.name)", "\(dotted ?? "?")")
            }
        }
    }
}
