import Detector
import Foundation
import Sniffer
import TestSupport
import Testing
import Certificates

/// missing-sct and pin-mismatch end to end: OpenSSL-made chains in crafted TLS sessions, through
/// the real pipeline and the detection observer.
@Suite struct ChainRuleTests {
    /// A local "public" PKI: a root in its own trust directory and a leaf for www.bank.example,
    /// valid from now for ten years (the sessions are captured a minute from now).
    struct PKI {
        let kit: OpenSSLKit
        let storeDirectory: String

        init(leafExtensions: [String] = []) throws {
            kit = try OpenSSLKit()
            try kit.key("root")
            try kit.root("root", key: "root", subject: "/CN=Test Public Root", days: 7300)
            try kit.key("leaf")
            try kit.issue("leaf", key: "leaf", subject: "/CN=www.bank.example", issuer: "root", issuerKey: "root",
                          extensions: ["subjectAltName=DNS:www.bank.example", "basicConstraints=CA:FALSE",
                                       "authorityKeyIdentifier=keyid", "extendedKeyUsage=serverAuth"] + leafExtensions,
                          days: 3650)
            storeDirectory = kit.path("store")
            try FileManager.default.createDirectory(atPath: storeDirectory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: kit.path("root.pem"), toPath: storeDirectory + "/root.pem")
        }

        func spki(_ name: String) throws -> String {
            var cache = CertificateCache()
            let der = try kit.der(name)
            return cache.lookup(der.span).spkiSHA256?.description ?? ""
        }
    }

    static func reports(leaf: [UInt8], scts: [[UInt8]]? = nil, validator: ChainValidator?, pins: [PinMismatchRule.Pin] = [])
        -> [SessionReport] {
        var script = SegmentScript()
        script.handshake()
        let client = TLSBytes.record(22, TLSBytes.clientHello(sni: "www.bank.example"))
        let server = TLSBytes.record(22, TLSBytes.serverHello(scts: scts) + TLSBytes.certificate([leaf]) + TLSBytes.serverHelloDone)
        script.segments += script.cut(client, fromClient: true, size: 1460)
        script.segments += script.cut(server, fromClient: false, size: 1460)
        final class Collected { var reports: [SessionReport] = [] }
        let collected = Collected()
        let configuration = DetectionConfiguration(indicators: IndicatorSet(), trustStore: validator?.trustStore,
                                                   pins: pins.isEmpty ? nil : pins, missingSCT: validator != nil)
        let observer = DetectionObserver(rules: RuleSet(configuration), onReport: { collected.reports.append($0) })
        var pipeline = Pipeline(observer: observer)
        // Captured now: the leaves are made now and valid for ten years.
        script.play(into: &pipeline, startingAt: Int64(Date().timeIntervalSince1970) + 60)
        return collected.reports
    }

    static func validator(_ pki: PKI) throws -> ChainValidator {
        ChainValidator(trustStore: try TrustStore(path: pki.storeDirectory))
    }

    @Test func trustedLeafWithoutAnySCTIsReported() throws {
        let pki = try PKI()
        let reports = Self.reports(leaf: try pki.kit.der("leaf"), validator: try Self.validator(pki))
        #expect(reports.count == 1)
        #expect(reports.first?.verdict == ["missing-sct"])
    }

    @Test func sctInTheTLSExtensionIsEnough() throws {
        let pki = try PKI()
        let reports = Self.reports(leaf: try pki.kit.der("leaf"), scts: [[UInt8](repeating: 7, count: 40)],
                                   validator: try Self.validator(pki))
        #expect(reports.first?.verdict == [])
        #expect(reports.first?.session.serverHello?.sctCount == 1)
    }

    @Test func embeddedSCTIsEnough() throws {
        // SignedCertificateTimestampList with two opaque SCTs, in an OCTET STRING, as CAs embed it.
        let list: [UInt8] = [0x00, 0x08, 0x00, 0x02, 0xAA, 0xBB, 0x00, 0x02, 0xCC, 0xDD]
        let value = "DER:04" + String(format: "%02X", list.count) + list.map { String(format: "%02X", $0) }.joined()
        let pki = try PKI(leafExtensions: ["1.3.6.1.4.1.11129.2.4.2=" + value])
        let reports = Self.reports(leaf: try pki.kit.der("leaf"), validator: try Self.validator(pki))
        #expect(reports.first?.verdict == [])
    }

    @Test func untrustedLeafIsNotJudgedForTransparency() throws {
        let pki = try PKI()
        let other = try PKI()  // another root: the leaf does not validate to it
        let reports = Self.reports(leaf: try pki.kit.der("leaf"), validator: try Self.validator(other))
        #expect(reports.first?.verdict == [])
    }

    @Test func pinsMatchByNameAndAcceptTheAnchorEvenWhenNotSent() throws {
        let pki = try PKI()
        let validator = try Self.validator(pki)
        let good = PinMismatchRule.Pin(names: ["*.bank.example"], spkiSHA256: [try pki.spki("root")], note: nil)
        let leaf = try pki.kit.der("leaf")
        let accepted = Self.reports(leaf: leaf, scts: [[1]], validator: validator, pins: [good])
        #expect(accepted.first?.verdict == [])
        let wrong = PinMismatchRule.Pin(names: ["www.bank.example"], spkiSHA256: [String(repeating: "0", count: 64)], note: "bank")
        let reports = Self.reports(leaf: leaf, scts: [[1]], validator: validator, pins: [wrong])
        #expect(reports.first?.verdict == ["pin-mismatch"])
        let elsewhere = PinMismatchRule.Pin(names: ["*.other.example"], spkiSHA256: [String(repeating: "0", count: 64)], note: nil)
        #expect(Self.reports(leaf: leaf, scts: [[1]], validator: validator, pins: [elsewhere]).first?.verdict == [])
    }

    @Test func pinFilesAreValidatedNamingTheEntry() throws {
        let kit = try OpenSSLKit()
        let path = kit.path("pins.json")
        try #"{"pins": [{"names": ["a.example"], "spki_sha256": ["not-hex"]}]}"#.write(toFile: path, atomically: true, encoding: .utf8)
        var rejected = ""
        do { _ = try PinMismatchRule.load(path: path) } catch { rejected = error.description }
        #expect(rejected.contains("pins[0].spki_sha256"))
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("pins.example.json").path
        var loaded = 0
        do { loaded = try PinMismatchRule.load(path: example).count } catch { Issue.record("\(error)") }
        #expect(loaded == 1)
    }
}
