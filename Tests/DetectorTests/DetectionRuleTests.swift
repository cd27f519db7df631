@testable import Detector
import TestSupport
import Foundation
import Sniffer
import Testing
import Wire
import Certificates

/// The indicator and shape rules on chains made by OpenSSL, positive and negative.
@Suite struct DetectionRuleTests {
    static let session: TLSSession = {
        let nowhere = Endpoint(address: IPAddress(high: 0, low: 0), port: 0)
        return TLSSession(id: 1, start: .zero, end: .zero, client: nowhere, server: nowhere)
    }()

    /// A user "interception CA" (its own key and certificate), loaded as a directory indicator.
    final class Lab {
        let kit: OpenSSLKit
        var indicators: IndicatorSet
        var cache = CertificateCache()

        init(signal: Indicator.Signal = .interceptionObserved) throws {
            kit = try OpenSSLKit()
            try kit.key("ca")
            try kit.root("ca", key: "ca", subject: "/C=ZZ/O=Test State/CN=Test Interception Root")
            let directory = kit.path("indicators")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: kit.path("ca.pem"), toPath: directory + "/ca.pem")
            indicators = IndicatorSet()
            try indicators.add(directory: directory, signal: signal)
        }

        func findings(_ chain: [[UInt8]]) -> [Finding] {
            var rules = RuleSet(DetectionConfiguration(indicators: indicators))
            return rules.judgeFetched(chain, session: DetectionRuleTests.session, at: .zero, cache: &cache)
        }
    }

    static let leafExtensions = ["subjectAltName=DNS:www.bank.example", "basicConstraints=CA:FALSE",
                                 "keyUsage=digitalSignature,keyEncipherment", "extendedKeyUsage=serverAuth"]

    @Test func leafIssuedByTheIndicatorMatchesByKeyIDAndVerifies() throws {
        let lab = try Lab()
        try lab.kit.key("leaf")
        try lab.kit.issue("leaf", key: "leaf", subject: "/CN=www.bank.example", issuer: "ca", issuerKey: "ca",
                          extensions: Self.leafExtensions + ["authorityKeyIdentifier=keyid"])
        let findings = lab.findings([try lab.kit.der("leaf")])  // root not sent
        #expect(findings.count == 1)
        #expect(findings.first?.rule == .knownInterceptionCA)
        #expect(findings.first?.matchType == .issuerKeyID)
        #expect(findings.first?.position == 0)
        #expect(findings.first?.signatureVerified == true)
    }

    @Test func leafWithoutAKIMatchesByNameAndVerifies() throws {
        let lab = try Lab()
        try lab.kit.key("leaf")
        try lab.kit.issue("leaf", key: "leaf", subject: "/CN=www.bank.example", issuer: "ca", issuerKey: "ca",
                          extensions: Self.leafExtensions)
        let findings = lab.findings([try lab.kit.der("leaf")])
        #expect(findings.map(\.matchType) == [.issuerName])
        #expect(findings.first?.signatureVerified == true)
    }

    @Test func sameNameOtherKeyWithAKIDoesNotMatch() throws {
        let lab = try Lab()
        try lab.kit.key("impostor")
        try lab.kit.root("impostor", key: "impostor", subject: "/C=ZZ/O=Test State/CN=Test Interception Root")
        try lab.kit.key("leaf")
        try lab.kit.issue("leaf", key: "leaf", subject: "/CN=www.bank.example", issuer: "impostor", issuerKey: "impostor",
                          extensions: Self.leafExtensions + ["authorityKeyIdentifier=keyid"])
        #expect(lab.findings([try lab.kit.der("leaf")]).isEmpty)
    }

    @Test func sameNameOtherKeyWithoutAKIMatchesByNameButDoesNotVerify() throws {
        let lab = try Lab()
        try lab.kit.key("impostor")
        try lab.kit.root("impostor", key: "impostor", subject: "/C=ZZ/O=Test State/CN=Test Interception Root")
        try lab.kit.key("leaf")
        try lab.kit.issue("leaf", key: "leaf", subject: "/CN=www.bank.example", issuer: "impostor", issuerKey: "impostor",
                          extensions: Self.leafExtensions)
        let findings = lab.findings([try lab.kit.der("leaf")])
        #expect(findings.map(\.matchType) == [.issuerName])
        #expect(findings.first?.signatureVerified == false)
    }

    @Test func rootSentMatchesByFingerprintToo() throws {
        let lab = try Lab()
        try lab.kit.key("leaf")
        try lab.kit.issue("leaf", key: "leaf", subject: "/CN=www.bank.example", issuer: "ca", issuerKey: "ca",
                          extensions: Self.leafExtensions + ["authorityKeyIdentifier=keyid"])
        let findings = lab.findings([try lab.kit.der("leaf"), try lab.kit.der("ca")])
        #expect(findings.count == 2)
        #expect(findings.contains { $0.position == 1 && $0.matchType == .fingerprint })
        #expect(findings.contains { $0.position == 0 && $0.matchType == .issuerKeyID })
    }

    @Test func reissuedCertificateWithTheSameKeyMatchesBySPKI() throws {
        let lab = try Lab()
        try lab.kit.root("ca2", key: "ca", subject: "/C=ZZ/O=Renamed/CN=Same Key Other Root", days: 100)
        let findings = lab.findings([try lab.kit.der("ca2")])
        #expect(findings.map(\.matchType) == [.spki])
        #expect(findings.first?.rule == .knownInterceptionCA)
    }

    @Test func contextIndicatorsRaiseGovernmentCA() throws {
        let lab = try Lab(signal: .context)
        try lab.kit.key("leaf")
        try lab.kit.issue("leaf", key: "leaf", subject: "/CN=www.bank.example", issuer: "ca", issuerKey: "ca",
                          extensions: Self.leafExtensions + ["authorityKeyIdentifier=keyid"])
        #expect(lab.findings([try lab.kit.der("leaf")]).map(\.rule) == [.governmentCA])
    }

    @Test func sha1OnlyIndicatorsFromAJSONList() throws {
        let lab = try Lab()
        try lab.kit.key("other")
        try lab.kit.root("other", key: "other", subject: "/CN=Only Known By SHA-1")
        let der = try lab.kit.der("other")
        let sha1 = CertificateHasher.sha1Hex(der.span)
        let list = lab.kit.path("list.json")
        try "[{\"id\": \"sha1-only\", \"name\": \"Published as SHA-1\", \"sha1\": \"\(sha1)\"}]"
            .write(toFile: list, atomically: true, encoding: .utf8)
        try lab.indicators.add(jsonFile: list)
        let findings = lab.findings([der])
        #expect(findings.map(\.matchType) == [.sha1])
        #expect(findings.first.map { lab.indicators.indicators[$0.indicator!].id } == "sha1-only")
    }

    @Test func cleanChainHasNoFindings() throws {
        let lab = try Lab()
        try lab.kit.key("other")
        try lab.kit.root("other", key: "other", subject: "/CN=Some Honest Root")
        try lab.kit.key("leaf")
        try lab.kit.issue("leaf", key: "leaf", subject: "/CN=www.bank.example", issuer: "other", issuerKey: "other",
                          extensions: Self.leafExtensions + ["authorityKeyIdentifier=keyid"])
        #expect(lab.findings([try lab.kit.der("leaf"), try lab.kit.der("other")]).isEmpty)
    }

    @Test func exponentThreeLeafHasTheInterceptionShape() throws {
        let lab = try Lab()
        try lab.kit.key("other")
        try lab.kit.root("other", key: "other", subject: "/CN=Some Root")
        try lab.kit.key("leaf", exponent: 3)
        try lab.kit.issue("leaf", key: "leaf", subject: "/CN=www.facebook.example", issuer: "other", issuerKey: "other",
                          extensions: ["subjectAltName=DNS:www.facebook.example"])
        let findings = lab.findings([try lab.kit.der("leaf")])
        #expect(findings.map(\.rule) == [.interceptionShape])
        #expect(findings.first?.reasons == ["rsa-exponent-3", "extensions-stripped"])
        // Stripped extensions alone are not enough.
        try lab.kit.key("plain")
        try lab.kit.issue("plain", key: "plain", subject: "/CN=old.example", issuer: "other", issuerKey: "other",
                          extensions: ["subjectAltName=DNS:old.example"])
        #expect(lab.findings([try lab.kit.der("plain")]).isEmpty)
    }

    @Test func builtInSetLoadsAllSharedIndicators() {
        let set = IndicatorSet.builtIn()
        #expect(set.indicators.count == 45)
        #expect(set.indicators.filter { $0.certificateDER != nil }.count == 36)
        let qaznet = set.matching(sha256: "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2")
        #expect(qaznet.count == 1)
        #expect(set.indicators[qaznet[0]].subject == "CN=Qaznet Trust Network,C=KZ")
        #expect(set.indicators.filter { $0.signal == .context }.count == 7)
    }

    @Test func theRealQaznetRootInAChainIsDetected() throws {
        let set = IndicatorSet.builtIn()
        let index = set.matching(sha256: "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2")[0]
        let der = try #require(set.indicators[index].certificateDER)
        let findings = IndicatorCheck.findings(chain: [der], indicators: set)
        #expect(findings.count == 1)
        #expect(findings.first?.rule == .knownInterceptionCA)
        #expect(findings.first?.matchType == .fingerprint)
    }
}
