import Foundation
import OpenSSLBridge
import Testing
import TestSupport

/// Root → leaf (www.bank.example, 192.0.2.10), made with the openssl command; a second root.
private struct Pair {
    let kit: OpenSSLKit
    let root: [UInt8]
    let leaf: [UInt8]
    let otherRoot: [UInt8]
    /// Just before the leaf was issued (its notBefore is at or after this).
    let issued: Int64

    init() throws {
        kit = try OpenSSLKit()
        issued = Int64(Date().timeIntervalSince1970) - 1
        try kit.key("root")
        try kit.root("root", key: "root", subject: "/CN=Bridge Root")
        try kit.key("other")
        try kit.root("other", key: "other", subject: "/CN=Other Root")
        try kit.key("leaf")
        try kit.issue("leaf", key: "leaf", subject: "/CN=www.bank.example", issuer: "root", issuerKey: "root",
                      extensions: ["subjectAltName=DNS:www.bank.example,IP:192.0.2.10", "extendedKeyUsage=serverAuth"],
                      days: 30)
        root = try kit.der("root")
        leaf = try kit.der("leaf")
        otherRoot = try kit.der("other")
    }

    func certificate(_ der: [UInt8]) throws -> OpenSSLCertificate {
        try #require(OpenSSLCertificate(der: der))
    }
}

@Suite struct CertificateTests {
    @Test func decodesExactlyOrWithTrailingBytes() throws {
        let pair = try Pair()
        #expect(OpenSSLCertificate(der: pair.leaf) != nil)
        #expect(OpenSSLCertificate(der: pair.leaf.span) != nil)
        #expect(OpenSSLCertificate(der: pair.leaf + [0]) == nil)
        #expect(OpenSSLCertificate(der: pair.leaf + [0], exact: false) != nil)
        #expect(OpenSSLCertificate(der: Array(pair.leaf.dropLast())) == nil)
        #expect(OpenSSLCertificate(der: []) == nil)
    }

    @Test func signatures() throws {
        let pair = try Pair()
        let root = try pair.certificate(pair.root), leaf = try pair.certificate(pair.leaf)
        let other = try pair.certificate(pair.otherRoot)
        #expect(root.verifiesSignature(of: leaf) == true)
        #expect(other.verifiesSignature(of: leaf) == false)
        #expect(leaf.verifiesSignature(of: root) == false)
        #expect(root.isSignedByItsOwnKey)
        #expect(!leaf.isSignedByItsOwnKey)
        var doctored = pair.root
        doctored[doctored.count - 5] ^= 0x01  // inside the signature, the last field
        #expect(try !pair.certificate(doctored).isSignedByItsOwnKey)
    }

    @Test func subjectPublicKeyInfoIsWhatOpenSSLExports() throws {
        let pair = try Pair()
        try pair.kit.run(["pkey", "-in", "leaf.key", "-pubout", "-outform", "DER", "-out", "leaf.spki"])
        let spki = [UInt8](try Data(contentsOf: URL(fileURLWithPath: pair.kit.path("leaf.spki"))))
        let leaf = try pair.certificate(pair.leaf)
        #expect(leaf.subjectPublicKeyInfoDER == spki)
        #expect(leaf.subjectPublicKeyInfoSHA256(using: SHA256Hasher()) == SHA256Hasher.hash(spki.span))
    }

    @Test func validityWindow() throws {
        let pair = try Pair()
        let leaf = try pair.certificate(pair.leaf)
        let day: Int64 = 86_400
        #expect(!leaf.validityChanges(within: pair.issued + day...pair.issued + 2 * day))
        #expect(leaf.validityChanges(within: pair.issued - 60...pair.issued + 60))          // notBefore
        #expect(leaf.validityChanges(within: pair.issued + 29 * day...pair.issued + 31 * day))  // notAfter
        #expect(!leaf.validityChanges(within: pair.issued + 40 * day...pair.issued + 41 * day))
    }

    @Test func names() throws {
        let pair = try Pair()
        let leaf = try pair.certificate(pair.leaf)
        #expect(leaf.match(.host("www.bank.example")) == .matches)
        #expect(leaf.match(.ipAddress("192.0.2.10")) == .matches)
        guard case .mismatch(let host) = leaf.match(.host("www.other.example")) else {
            Issue.record("a host mismatch expected")
            return
        }
        #expect(host.kind == .hostnameMismatch && host.depth == 0 && host.text == "hostname mismatch")
        guard case .mismatch(let address) = leaf.match(.ipAddress("192.0.2.11")) else {
            Issue.record("an address mismatch expected")
            return
        }
        #expect(address.text == "IP address mismatch")
        #expect(leaf.match(.ipAddress("not an address")) == .unusable)
    }
}
