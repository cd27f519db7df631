import Detector
import Foundation
import TestSupport
import Testing
import Wire
import Certificates

/// The view on input made to break it: it must throw an `X509ParseError` (never trap, never
/// read outside the bytes) whose `offset` lies inside the data and whose `expected` names what
/// was wrong.
@Suite struct HostileInputTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let path = CertificateSources.generatedDirectory + "/" + name + ".der"
        return [UInt8](try #require(FileManager.default.contents(atPath: path), "run scripts/make-test-certificates.sh"))
    }

    static func parse(_ der: [UInt8]) -> Result<CertificateLayout, X509ParseError> {
        do {
            return .success(try CertificateView(der: der.span).layout)
        } catch {
            return .failure(error)
        }
    }

    /// Parses and, when that succeeds, describes (every lazy reader runs too).
    static func exercise(_ der: [UInt8]) -> X509ParseError? {
        do {
            let view = try CertificateView(der: der.span)
            _ = CertificateDescription(view)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: ["key-p256", "key-rsa2048", "ext-all", "name-string-types", "version-1"])
    func everyTruncationThrowsInsideTheData(_ name: String) throws {
        let der = try Self.fixture(name)
        #expect(Self.exercise(der) == nil)
        var problems: [String] = []
        for length in 0..<der.count {
            switch Self.parse(Array(der.prefix(length))) {
            case .success:
                problems.append("prefix \(length) parsed")
            case .failure(let error):
                if error.offset < 0 || error.offset > length || error.expected.isEmpty {
                    problems.append("prefix \(length): \(error)")
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
    }

    @Test func twentyThousandRandomMutationsNeverTrap() throws {
        let seeds = try ["key-p256", "key-rsa2048", "ext-all", "name-rfc2253-escapes", "ext-sct-one"].map(Self.fixture)
        var random = SeededGenerator(state: 0x6d69_746d_7761_7463)
        var parsed = 0, rejected = 0
        var problems: [String] = []
        for round in 0..<20_000 {
            var der = seeds[round % seeds.count]
            let flips = 1 + Int(random.next() % 4)
            for _ in 0..<flips {
                let index = Int(random.next() % UInt64(der.count))
                switch random.next() % 3 {
                case 0: der[index] ^= UInt8(1 << (random.next() % 8))    // one bit
                case 1: der[index] = UInt8(truncatingIfNeeded: random.next())  // one byte
                default: der[index] = [0x00, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xff][Int(random.next() % 7)]  // length-ish
                }
            }
            if let error = Self.exercise(der) {
                rejected += 1
                if error.offset < 0 || error.offset > der.count { problems.append("round \(round): \(error)") }
            } else {
                parsed += 1
            }
        }
        print("X509 mutations: 20000 (\(parsed) still parse, \(rejected) rejected)")
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(rejected > 1000 && parsed > 1000)
    }

    // MARK: Structures that must be rejected, and where

    @Test func theMinimalCertificateParses() throws {
        let layout = try Self.parse(MiniCertificate().der).get()
        #expect(layout.version == 3)
        #expect(layout.notBefore == 1_893_456_000)  // 2030-01-01
    }

    @Test func indefiniteLengthIsRejectedWhereItIs() {
        // Outer SEQUENCE with BER's indefinite length (30 80 … 00 00).
        let certificate = MiniCertificate()
        let indefinite = [0x30, 0x80] + certificate.der.dropFirst(MiniCertificate.headerLength(certificate.der)) + [0, 0]
        #expect(Self.parse(Array(indefinite)).error == X509ParseError(offset: 0, expected: "Certificate SEQUENCE"))

        // The same inside: the TBSCertificate (at byte 4) with an indefinite length.
        var inner = certificate
        inner.tbsOverride = [0x30, 0x80] + certificate.tbsContents + [0, 0]
        let error = Self.parse(inner.der).error
        #expect(error == X509ParseError(offset: 4, expected: "TBSCertificate"))
    }

    @Test func nonMinimalLengthsAreRejectedWhereTheyAre() {
        // The outer length in four octets where two suffice.
        let der = MiniCertificate().der
        let body = der.dropFirst(MiniCertificate.headerLength(der))
        let count = UInt32(body.count)
        let padded = [0x30, 0x84, UInt8(count >> 24), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)] + body
        #expect(Self.parse(Array(padded)).error == X509ParseError(offset: 0, expected: "Certificate SEQUENCE"))

        // The serial INTEGER's length in long form (02 81 01 …) although it is below 128.
        var certificate = MiniCertificate()
        certificate.serialElement = [0x02, 0x81, 0x01, 0x2a]
        let serialOffset = certificate.offsetOfSerial
        #expect(Self.parse(certificate.der).error == X509ParseError(offset: serialOffset, expected: "serialNumber INTEGER"))
    }

    @Test func trailingGarbageAfterTheCertificateIsRejectedAtItsStart() {
        let der = MiniCertificate().der
        for garbage: [UInt8] in [[0], [0x30, 0x00], Array(repeating: 0xff, count: 100)] {
            #expect(Self.parse(der + garbage).error
                    == X509ParseError(offset: der.count, expected: "end of data after the Certificate"))
        }
    }

    @Test func trailingBytesInsideTheCertificateAreRejected() {
        // One byte after the signature BIT STRING, inside the outer SEQUENCE.
        var certificate = MiniCertificate()
        certificate.afterSignature = [0x05, 0x00]
        let error = Self.parse(certificate.der).error
        #expect(error?.expected == "end of Certificate")
        #expect(error?.offset == certificate.der.count - 2)
    }

    @Test func nestingBombsAreRejectedWithoutRecursion() {
        // 100 000 nested SEQUENCEs where the TBSCertificate should be: rejected at its first
        // field, in constant stack (the view never recurses into unknown structure).
        let bomb = DER.nested(depth: 100_000, innermost: [])
        var certificate = MiniCertificate()
        certificate.tbsOverride = bomb
        let error = Self.parse(certificate.der).error
        #expect(error?.expected == "serialNumber INTEGER")
        #expect(error.map { $0.offset > 0 && $0.offset < certificate.der.count } == true)

        // The same bomb as the issuer Name: rejected at its first RDN, which is a SEQUENCE where
        // a SET must be (the view checks a Name's structure one level deep per element, no deeper).
        var inName = MiniCertificate()
        inName.issuer = DER.nested(depth: 50_000, innermost: [])
        #expect(Self.exercise(inName.der) == X509ParseError(
            offset: inName.offsetOfIssuer + MiniCertificate.headerLength(inName.issuer),
            expected: "RelativeDistinguishedName SET in the issuer"))
        // As a subjectAltName value and as an unknown extension: the certificate parses (the
        // view reads extension values lazily) and describing it neither traps nor invents values.
        var inExtension = MiniCertificate()
        inExtension.extensions = [
            DER.extension(oid: [0x55, 0x1d, 0x11], value: DER.nested(depth: 50_000, innermost: [])),
            DER.extension(oid: [0x2a, 0x03, 0x04], value: DER.nested(depth: 50_000, innermost: [])),
        ]
        let error2 = Self.exercise(inExtension.der)
        #expect(error2 == nil)
        if error2 == nil, let view = try? CertificateView(der: inExtension.der.span) {
            let description = CertificateDescription(view)
            #expect(description.sanDNS.isEmpty && description.alternativeNames.isEmpty)
            #expect(description.issuer != "")
        }
    }

    @Test func namesWhoseInnerLengthsAreOffByOneAreRejectedWhereTheyBreak() {
        // The issuer is 30 L | 31 L | 30 L | 06 03 55 04 03 | 0c 07 "Mini CA": each length one
        // byte off while the Name's own length stays right. OpenSSL rejects all of them.
        let cases: [(index: Int, delta: Int, at: Int, expected: String)] = [
            (12, 1, 11, "attribute value"),                  // the value runs past its SEQUENCE
            (12, -1, 19, "end of AttributeTypeAndValue"),    // a byte left after the value
            (3, 1, 2, "RelativeDistinguishedName SET"),      // the SET runs past the Name
            (3, -1, 4, "AttributeTypeAndValue SEQUENCE"),    // the SEQUENCE runs past its SET
            (5, 1, 4, "AttributeTypeAndValue SEQUENCE"),
            (5, -1, 11, "attribute value"),
        ]
        for (index, delta, at, expected) in cases {
            for subject in [false, true] {
                var certificate = MiniCertificate()
                var name = certificate.issuer  // the same bytes as the subject too
                name[index] = UInt8(Int(name[index]) + delta)
                if subject { certificate.subject = name } else { certificate.issuer = name }
                let start = subject ? certificate.offsetOfSubject : certificate.offsetOfIssuer
                #expect(Self.parse(certificate.der).error == X509ParseError(
                    offset: start + at, expected: expected + (subject ? " in the subject" : " in the issuer")),
                    "byte \(index) \(delta > 0 ? "+" : "")\(delta) in the \(subject ? "subject" : "issuer")")
            }
        }
        // An RDN with no attribute stays accepted (OpenSSL accepts it too; see name-empty-rdn).
        var empty = MiniCertificate()
        empty.issuer = DER.sequence(DER.tlv(0x31, []))
        #expect(Self.exercise(empty.der) == nil)
    }

    @Test func algorithmParametersMustFitTheirSequence() {
        // AlgorithmIdentifier ::= SEQUENCE { OID, parameters ANY OPTIONAL }: a parameter longer
        // than the SEQUENCE, or a second one, is malformed (OpenSSL rejects both).
        let oid = DER.oid([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02])
        for (parameters, at) in [([UInt8](arrayLiteral: 0x05, 0x01), 0), ([0x05, 0x00, 0x05, 0x00], 2)] {
            var certificate = MiniCertificate()
            let algorithm = DER.sequence(oid, parameters)
            certificate.tbsOverride = DER.tlv(0x30, MiniCertificate.versionElement + certificate.serialElement + algorithm
                + certificate.issuer + certificate.validity + certificate.subject + MiniCertificate.spki)
            let start = certificate.offsetOfSerial + certificate.serialElement.count + 2 + oid.count
            #expect(Self.parse(certificate.der).error
                    == X509ParseError(offset: start + at, expected: "signature AlgorithmIdentifier parameters"))
        }
        // NULL parameters (as RSA signatures carry) are one element: accepted.
        var withNull = MiniCertificate()
        withNull.tbsOverride = DER.tlv(0x30, MiniCertificate.versionElement + withNull.serialElement
            + DER.sequence(oid, [0x05, 0x00]) + withNull.issuer + withNull.validity + withNull.subject + MiniCertificate.spki)
        #expect(Self.exercise(withNull.der) == nil)
    }

    @Test func badTimeIsReportedAtTheTimeItself() {
        // Regression: a time that could not be read used to be reported one element late
        // (ASN1Time.read consumed the element before failing).
        var certificate = MiniCertificate()
        certificate.notBefore = DER.tlv(0x17, Array("301301000000Z".utf8))  // month 13
        #expect(Self.parse(certificate.der).error
                == X509ParseError(offset: certificate.offsetOfValidity + 2, expected: "notBefore time"))
        certificate = MiniCertificate()
        certificate.notAfter = DER.tlv(0x18, Array("2030010100000Z".utf8))  // one digit short
        #expect(Self.parse(certificate.der).error
                == X509ParseError(offset: certificate.offsetOfValidity + 2 + 15, expected: "notAfter time"))
    }

    @Test func timeZoneOffsetsAreAppliedAsOpenSSLDoes() throws {
        // Regression: `+hhmm`/`-hhmm` (seen in arkime_synthetic.pcap) used to reject the certificate.
        var certificate = MiniCertificate()
        certificate.notBefore = DER.tlv(0x17, Array("300101000000+0100".utf8))
        certificate.notAfter = DER.tlv(0x18, Array("20300101000000-0530".utf8))
        let layout = try Self.parse(certificate.der).get()
        #expect(layout.notBefore == 1_893_456_000 - 3600)
        #expect(layout.notAfter == 1_893_456_000 + 5 * 3600 + 30 * 60)
        #expect(layout.notes.contains(.unusualTime))
        certificate.notBefore = DER.tlv(0x17, Array("300101000000+1300".utf8))  // OpenSSL: hours <= 12
        #expect(Self.parse(certificate.der).error?.expected == "notBefore time")
    }

    @Test func keySizesMatchOpenSSL() throws {
        // Regressions found by the differential test: Ed25519 is 256 bits for EVP_PKEY_get_bits
        // (X25519 is 253), and explicit EC parameters (CurveBall) give the order's size.
        #expect(try Self.parse(Self.fixture("key-ed25519")).get().publicKeySize == 256)
        #expect(try Self.parse(Self.fixture("key-p384-explicit")).get().publicKeySize == 384)
    }
}

extension Result {
    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// DER building for the hand-made certificates of these tests.
enum DER {
    static func length(_ count: Int) -> [UInt8] {
        if count < 0x80 { return [UInt8(count)] }
        var bytes: [UInt8] = []
        var value = count
        while value > 0 {
            bytes.insert(UInt8(value & 0xff), at: 0)
            value >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    static func tlv(_ tag: UInt8, _ contents: [UInt8]) -> [UInt8] { [tag] + length(contents.count) + contents }
    static func sequence(_ parts: [UInt8]...) -> [UInt8] { tlv(0x30, parts.flatMap { $0 }) }
    static func oid(_ contents: [UInt8]) -> [UInt8] { tlv(0x06, contents) }

    /// `depth` SEQUENCEs, each holding the next, built from the inside out in one buffer.
    static func nested(depth: Int, innermost: [UInt8]) -> [UInt8] {
        var headers: [[UInt8]] = []
        var size = innermost.count
        for _ in 0..<depth {
            let header = [0x30] + length(size)
            headers.append(header)
            size += header.count
        }
        var out: [UInt8] = []
        out.reserveCapacity(size)
        for header in headers.reversed() { out += header }
        return out + innermost
    }

    static func `extension`(oid contents: [UInt8], critical: Bool = false, value: [UInt8]) -> [UInt8] {
        sequence(oid(contents), critical ? [0x01, 0x01, 0xff] : [], tlv(0x04, value))
    }
}

/// A small, valid, hand-built certificate (P-256 key, ecdsa-with-SHA256), each part replaceable.
struct MiniCertificate {
    var serialElement: [UInt8] = DER.tlv(0x02, [0x01, 0x02])
    var issuer = DER.sequence(DER.tlv(0x31, DER.sequence(DER.oid([0x55, 0x04, 0x03]), DER.tlv(0x0c, Array("Mini CA".utf8)))))
    var notBefore = DER.tlv(0x17, Array("300101000000Z".utf8))
    var notAfter = DER.tlv(0x17, Array("400101000000Z".utf8))
    var subject = DER.sequence(DER.tlv(0x31, DER.sequence(DER.oid([0x55, 0x04, 0x03]), DER.tlv(0x0c, Array("mini".utf8)))))
    var extensions: [[UInt8]] = [DER.extension(oid: [0x55, 0x1d, 0x13], critical: true, value: DER.sequence([0x01, 0x01, 0xff]))]
    var tbsOverride: [UInt8]?
    var afterSignature: [UInt8] = []

    static let versionElement: [UInt8] = DER.tlv(0xa0, [0x02, 0x01, 0x02])
    static let algorithm = DER.sequence(DER.oid([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]))
    static let spki = DER.sequence(
        DER.sequence(DER.oid([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]), DER.oid([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07])),
        DER.tlv(0x03, [0x00, 0x04] + Array(repeating: 0x11, count: 64)))

    var validity: [UInt8] { DER.sequence(notBefore, notAfter) }

    var tbsContents: [UInt8] {
        var parts = Self.versionElement + serialElement + Self.algorithm + issuer + validity + subject + Self.spki
        if !extensions.isEmpty { parts += DER.tlv(0xa3, DER.sequence(extensions.flatMap { $0 })) }
        return parts
    }

    var tbs: [UInt8] { tbsOverride ?? DER.tlv(0x30, tbsContents) }

    var der: [UInt8] {
        DER.tlv(0x30, tbs + Self.algorithm + DER.tlv(0x03, [0x00] + Array(repeating: 0x22, count: 70)) + afterSignature)
    }

    static func headerLength(_ element: [UInt8]) -> Int {
        element[1] < 0x80 ? 2 : 2 + Int(element[1] & 0x7f)
    }

    /// Byte offset of the TBSCertificate's contents in `der`.
    var offsetOfTBSContents: Int {
        Self.headerLength(der) + Self.headerLength(tbs)
    }

    var offsetOfSerial: Int { offsetOfTBSContents + Self.versionElement.count }

    var offsetOfIssuer: Int { offsetOfSerial + serialElement.count + Self.algorithm.count }

    var offsetOfValidity: Int { offsetOfIssuer + issuer.count }

    var offsetOfSubject: Int { offsetOfValidity + validity.count }
}
