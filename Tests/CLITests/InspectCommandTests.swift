import Foundation
import Testing

/// `mitmwatch inspect` as a user runs it.
@Suite struct InspectCommandTests {
    static let qaznet = ReadCommandTests.root.deletingLastPathComponent()
        .appendingPathComponent("shared/indicators/certs/00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2.pem").path

    static var qaznetPath: String {
        if let shared = ProcessInfo.processInfo.environment["MITMWATCH_SHARED"] {
            return shared + "/indicators/certs/00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2.pem"
        }
        return qaznet
    }

    @Test func jsonHasTheECSAndMitmwatchFields() throws {
        let result = try ReadCommandTests.run(["inspect", "--format", "json", Self.qaznetPath])
        #expect(result.status == 0)
        let records = try ReadCommandTests.records(result)
        #expect(records.count == 1)
        let record = try #require(records.first)
        let x509 = record["x509"] as? [String: Any]
        #expect(x509?["version_number"] as? String == "3")
        #expect(x509?["serial_number"] as? String == "3D957FCA1F8C0FC8692C01994EB55231035B9DF1")
        #expect((x509?["subject"] as? [String: Any])?["distinguished_name"] as? String == "CN=Qaznet Trust Network,C=KZ")
        #expect((x509?["subject"] as? [String: Any])?["common_name"] as? [String] == ["Qaznet Trust Network"])
        #expect(x509?["not_before"] as? String == "2016-02-02T05:41:00Z")
        #expect(x509?["public_key_algorithm"] as? String == "RSA")
        #expect(x509?["public_key_size"] as? Int == 4096)
        #expect(x509?["signature_algorithm"] as? String == "SHA256-RSA")
        let hash = record["hash"] as? [String: Any]
        #expect(hash?["sha256"] as? String == "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2")
        #expect(hash?["sha1"] as? String == "5811835eefaa2028835ab955da6829bf043a756d")
        let mitmwatch = record["mitmwatch"] as? [String: Any]
        #expect(mitmwatch?["is_ca"] as? Bool == true)
        #expect(mitmwatch?["key_usage"] as? [String] == ["nonRepudiation", "keyCertSign", "cRLSign"])
        #expect(mitmwatch?["subject_key_identifier"] as? String == "f494bfde50b6db6b243d9ef7be3aae36d7fb0e05")
        #expect((mitmwatch?["authority_key_identifier"] as? [String: Any])?["key_identifier"] as? String
            == "f494bfde50b6db6b243d9ef7be3aae36d7fb0e05")
        let extensions = mitmwatch?["extensions"] as? [[String: Any]]
        #expect(extensions?.map { $0["oid"] as? String } == ["2.5.29.19", "2.5.29.14", "2.5.29.35", "2.5.29.15"])
        #expect(extensions?.map { $0["critical"] as? Bool } == [true, false, false, true])
        #expect((mitmwatch?["spki_sha256"] as? String)?.count == 64)
    }

    @Test func manyFilesAndManyCertificatesPerFile() throws {
        let directory = URL(fileURLWithPath: Self.qaznetPath).deletingLastPathComponent().path
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".pem") }.sorted()
        let bundle = NSTemporaryDirectory() + "mitmwatch-bundle-\(UUID().uuidString).pem"
        let joined = try names.prefix(5).map { try String(contentsOfFile: directory + "/" + $0, encoding: .utf8) }.joined()
        try joined.write(toFile: bundle, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: bundle) }
        let result = try ReadCommandTests.run(["inspect", "--format", "json", bundle, Self.qaznetPath])
        #expect(result.status == 0)
        #expect(result.lines.count == 6)
    }

    @Test func textIsForPeople() throws {
        let result = try ReadCommandTests.run(["inspect", Self.qaznetPath])
        #expect(result.status == 0)
        #expect(result.stdout.contains("CN=Qaznet Trust Network,C=KZ"))
        #expect(result.stdout.contains("RSA 4096 bits, exponent 65537"))
    }

    @Test func brokenCertificateIsReportedWithItsOffsetAndTheOthersStillPrinted() throws {
        let der = try Data(contentsOf: URL(fileURLWithPath: Self.qaznetPath))
        let broken = NSTemporaryDirectory() + "mitmwatch-broken-\(UUID().uuidString).der"
        try Data([0x30, 0x82, 0x00, 0x05, 0x30, 0x03, 0x02, 0x01, 0x01]).write(to: URL(fileURLWithPath: broken))
        defer { try? FileManager.default.removeItem(atPath: broken) }
        _ = der
        let result = try ReadCommandTests.run(["inspect", "--format", "json", broken, Self.qaznetPath])
        #expect(result.status == 1)
        #expect(result.stderr.contains(broken))
        #expect(result.stderr.contains("at byte"))
        #expect(result.lines.count == 1)
    }

    @Test func missingFileIsAnError() throws {
        let result = try ReadCommandTests.run(["inspect", "/nonexistent.pem"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot read /nonexistent.pem"))
    }
}
