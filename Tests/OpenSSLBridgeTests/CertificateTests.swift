import OpenSSLBridge
import Testing

@Suite struct CertificateTests {
    @Test func decodesExactlyOrWithTrailingBytes() throws {
        let pki = try BridgePKI.make()
        #expect(OpenSSLCertificate(der: pki.leaf) != nil)
        #expect(OpenSSLCertificate(der: pki.leaf.span) != nil)
        #expect(OpenSSLCertificate(der: pki.leaf + [0]) == nil)
        #expect(OpenSSLCertificate(der: pki.leaf + [0], exact: false) != nil)
        #expect(OpenSSLCertificate(der: Array(pki.leaf.dropLast())) == nil)
        #expect(OpenSSLCertificate(der: []) == nil)
    }

    @Test func signatures() throws {
        let pki = try BridgePKI.make()
        let root = try BridgePKI.certificate(pki.root), leaf = try BridgePKI.certificate(pki.leaf)
        let other = try BridgePKI.certificate(pki.otherRoot)
        let intermediate = try BridgePKI.certificate(pki.intermediate)
        #expect(root.verifiesSignature(of: intermediate) == true)
        #expect(intermediate.verifiesSignature(of: leaf) == true)
        #expect(root.verifiesSignature(of: leaf) == false)
        #expect(other.verifiesSignature(of: intermediate) == false)
        #expect(leaf.verifiesSignature(of: root) == false)
        #expect(root.isSignedByItsOwnKey)
        #expect(!leaf.isSignedByItsOwnKey)
        var doctored = pki.root
        doctored[doctored.count - 5] ^= 0x01  // inside the signature, the last field
        #expect(try !BridgePKI.certificate(doctored).isSignedByItsOwnKey)
    }

    @Test func subjectPublicKeyInfoIsWhatOpenSSLExports() throws {
        let pki = try BridgePKI.make()
        let spki = pki.leafSPKI
        let leaf = try BridgePKI.certificate(pki.leaf)
        #expect(leaf.subjectPublicKeyInfoDER == spki)
        #expect(leaf.subjectPublicKeyInfoSHA256(using: SHA256Hasher()) == SHA256Hasher.hash(spki.span))
    }

    @Test func validityWindow() throws {
        let pki = try BridgePKI.make()
        let leaf = try BridgePKI.certificate(pki.leaf)
        let day: Int64 = 86_400
        #expect(!leaf.validityChanges(within: pki.issued + day...pki.issued + 2 * day))
        #expect(leaf.validityChanges(within: pki.issued...pki.issued + 600))  // notBefore
        #expect(leaf.validityChanges(within: pki.issued + 29 * day...pki.issued + 31 * day))  // notAfter
        #expect(!leaf.validityChanges(within: pki.issued + 40 * day...pki.issued + 41 * day))
    }

    @Test func names() throws {
        let pki = try BridgePKI.make()
        let leaf = try BridgePKI.certificate(pki.leaf)
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
