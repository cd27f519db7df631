import Certificates
import Detector
import Foundation
import OpenSSLReference
import TestSupport
import Testing
import Wire

/// Certificate times over GeneralizedTime's whole range, 0000–9999, against OpenSSL: the seconds
/// and the date the view gives must be OpenSSL's (`ASN1_TIME_to_tm` through `mw_ref_time`, and
/// what `openssl x509 -dates -dateopt iso_8601` prints), and a day that does not exist must be no
/// time on either side.
@Suite struct CertificateTimeTests {
    /// The view's reading of one time as a certificate's notAfter: seconds and date, or nil.
    static func ours(_ element: [UInt8]) -> (seconds: Int64, text: String)? {
        var certificate = MiniCertificate()
        certificate.notAfter = element
        guard let layout = try? HostileInputTests.parse(certificate.der).get() else { return nil }
        return (layout.notAfter, CertificateTime.rfc3339(layout.notAfter))
    }

    static func openSSL(_ element: [UInt8]) -> (seconds: Int64, text: String)? {
        var seconds: Int64 = 0
        var text = [CChar](repeating: 0, count: 64)
        let ok = unsafe element.withUnsafeBufferPointer { input in
            unsafe text.withUnsafeMutableBufferPointer { output in
                unsafe mw_ref_time(input.baseAddress, input.count, &seconds, output.baseAddress, output.count)
            }
        }
        guard ok == 1 else { return nil }
        return (seconds, String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    @Test func everyYearAgreesWithOpenSSL() {
        // Per year: its first and last second, both sides of February's end, and February 29,
        // which must be a time exactly in leap years (proleptic Gregorian: 0000, 1600, 2000 are).
        let days: [(month: Int, day: Int, time: String)] = [
            (1, 1, "000000"), (2, 28, "235959"), (2, 29, "120000"), (3, 1, "000000"), (12, 31, "235959"),
        ]
        var problems: [String] = []
        var compared = 0, leapDays = 0
        for year in 0...9999 {
            for (month, day, time) in days {
                let text = Self.padded(year, 4) + Self.padded(month, 2) + Self.padded(day, 2) + time
                let element = DER.tlv(0x18, Array((text + "Z").utf8))
                let mine = Self.ours(element), theirs = Self.openSSL(element)
                compared += 1
                if mine?.seconds != theirs?.seconds || mine?.text != theirs?.text {
                    problems.append("\(text)Z: ours \(mine.map { "\($0)" } ?? "no time"), OpenSSL \(theirs.map { "\($0)" } ?? "no time")")
                }
                // The date printed is the date written.
                let written = "\(text.prefix(4))-\(text.dropFirst(4).prefix(2))-\(text.dropFirst(6).prefix(2))T"
                    + "\(time.prefix(2)):\(time.dropFirst(2).prefix(2)):\(time.suffix(2))Z"
                if let mine, mine.text != written { problems.append("\(text)Z printed as \(mine.text)") }
                let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
                if month == 2 && day == 29 {
                    if leap { leapDays += 1 }
                    if (mine != nil) != leap { problems.append("\(text)Z: February 29 of \(year) read as \(mine.map { "\($0)" } ?? "no time")") }
                }
            }
        }
        #expect(compared == 50_000 && leapDays == 2425)
        #expect(problems.isEmpty, "\(problems.count) problems: \(problems.prefix(5))")
    }

    @Test func utcTimeCenturiesAgreeWithOpenSSL() {
        // YY 50–99 is 19YY, 00–49 is 20YY (RFC 5280 §4.1.2.5.1).
        var problems: [String] = []
        for yy in 0...99 {
            for text in ["\(Self.padded(yy, 2))0101000000Z", "\(Self.padded(yy, 2))0229000000Z", "\(Self.padded(yy, 2))1231235959Z"] {
                let element = DER.tlv(0x17, Array(text.utf8))
                let mine = Self.ours(element), theirs = Self.openSSL(element)
                if mine?.seconds != theirs?.seconds || mine?.text != theirs?.text {
                    problems.append("\(text): ours \(mine.map { "\($0)" } ?? "no time"), OpenSSL \(theirs.map { "\($0)" } ?? "no time")")
                }
                if let mine, !mine.text.hasPrefix((yy < 50 ? "20" : "19") + Self.padded(yy, 2)) {
                    problems.append("\(text) printed as \(mine.text)")
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
    }

    /// The crafted certificates' notAfter as `openssl x509 -noout -enddate -dateopt iso_8601`
    /// prints it (`%4d-%02d-%02d %02d:%02d:%02dZ`): the same date as ours, once OpenSSL's
    /// space-padded year is zero-padded as RFC 3339 needs and its space is RFC 3339's `T`.
    @Test func datesPrintAsTheOpenSSLCommandPrintsThem() throws {
        let kit = try OpenSSLKit()
        var printed = 0
        for certificate in try CraftedCertificates.all() where certificate.name.hasPrefix("time-") {
            let file = certificate.name + ".der"
            try Data(certificate.der).write(to: URL(fileURLWithPath: kit.path(file)))
            let line = try kit.run(["x509", "-inform", "DER", "-in", file, "-noout", "-enddate", "-dateopt", "iso_8601"])
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let theirs = String(line.dropFirst("notAfter=".count))
            let seconds = try? HostileInputTests.parse(certificate.der).get().notAfter
            let ours = seconds.map(CertificateTime.rfc3339)
            if theirs == "Bad time value" {
                // No date for OpenSSL: a day that does not exist (no certificate for the view
                // either) or an offset OpenSSL applies only within 1900–9999 (see the quirks).
                #expect(seconds.map { $0 < -2_208_988_800 || $0 > 253_402_300_799 } ?? true, "\(certificate.name): ours \(ours ?? "-")")
                continue
            }
            let year = theirs.prefix(4).replacingOccurrences(of: " ", with: "0")
            let normalised = year + theirs.dropFirst(4).replacingOccurrences(of: " ", with: "T")
            #expect(ours == normalised, "\(certificate.name): ours \(ours ?? "no certificate"), openssl \(line)")
            printed += 1
        }
        #expect(printed >= 15)
    }

    @Test func knownInstantsAndTheWholeInt64Range() {
        #expect(CertificateTime.rfc3339(0) == "1970-01-01T00:00:00Z")
        #expect(CertificateTime.rfc3339(-1) == "1969-12-31T23:59:59Z")
        #expect(CertificateTime.rfc3339(253_402_300_799) == "9999-12-31T23:59:59Z")
        #expect(CertificateTime.rfc3339(-62_167_219_200) == "0000-01-01T00:00:00Z")
        #expect(CertificateTime.rfc3339(-62_167_219_201) == "-0001-12-31T23:59:59Z")
        #expect(CertificateTime.rfc3339(253_402_300_800) == "10000-01-01T00:00:00Z")
        // Past what a nanosecond Timestamp holds (1677-09-21 to 2262-04-11), no wrapping.
        #expect(CertificateTime.rfc3339(9_223_372_037) == "2262-04-11T23:47:17Z")
        #expect(CertificateTime.rfc3339(-9_223_372_037) == "1677-09-21T00:12:43Z")
        // Any Int64 formats without trapping.
        for seconds: Int64 in [.min, .min + 1, .max, .max - 1] { #expect(!CertificateTime.rfc3339(seconds).isEmpty) }
    }
}
