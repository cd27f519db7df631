import Detector
import Foundation
import Testing
import Certificates

@Suite struct ChainValidatorTests {
    let pki: TestPKI

    init() throws { pki = try TestPKI.make() }

    private func verify(_ chain: [[UInt8]], _ hostname: String? = "www.bank.example", at time: Int64 = CaptureTime.june2025,
                        store: TrustStore? = nil) -> ChainVerdict {
        ChainValidator(trustStore: store ?? pki.publicStore).verify(chain: chain, hostname: hostname, at: time)
    }

    private func spkiHex(_ spki: [UInt8]) -> String { CertificateHasher.sha256(spki.span).description }

    @Test func validChainIsTrustedWithItsAnchor() {
        let verdict = verify([pki.leaf, pki.intermediate])
        #expect(verdict.trusted)
        #expect(verdict.reasons.isEmpty)
        #expect(verdict.detail.isEmpty)
        #expect(verdict.anchorSPKISHA256 == spkiHex(pki.rootSPKI))
        #expect(verdict.chainSPKISHA256.count == 3)
        #expect(verdict.chainSPKISHA256.dropFirst().first == spkiHex(pki.intermediateSPKI))
    }

    @Test func sentRootIsHarmlessWhenTrusted() {
        #expect(verify([pki.leaf, pki.intermediate, pki.root]).trusted)
    }

    @Test func hostnamesAreNormalisedAndIPLiteralsMatchIPNames() {
        #expect(verify([pki.leaf, pki.intermediate], "WWW.Bank.Example.").trusted)
        #expect(verify([pki.leaf, pki.intermediate], "192.0.2.10").trusted)
        #expect(verify([pki.leaf, pki.intermediate], nil).trusted)
        let wrongIP = verify([pki.leaf, pki.intermediate], "192.0.2.11")
        #expect(wrongIP.reasons == [.hostnameMismatch])
        #expect(verify([pki.leaf, pki.intermediate], "::1").reasons == [.hostnameMismatch])
        // A name that does not normalise is checked as sent, not skipped.
        #expect(verify([pki.leaf, pki.intermediate], "www..bank.example").reasons == [.hostnameMismatch])
        #expect(verify([pki.leaf, pki.intermediate], "www.bank.example\u{0}").reasons == [.hostnameMismatch])
        #expect(verify([pki.leaf, pki.intermediate], "www.bank.example\u{0}.evil").reasons == [.hostnameMismatch])
    }

    @Test func rootNotInTheStoreIsAnUnknownIssuer() {
        let verdict = verify([pki.leaf, pki.intermediate], store: pki.otherStore)
        #expect(!verdict.trusted)
        #expect(verdict.reasons == [.unknownIssuer])
        #expect(verdict.detail.contains("unable to get local issuer certificate (depth 1)"), "\(verdict.detail)")
        #expect(verdict.anchorSPKISHA256 == nil)
        #expect(verdict.chainSPKISHA256.count == 2)
    }

    @Test func untrustedSentRootIsSelfSignedAndUnknownIssuer() {
        let verdict = verify([pki.leaf, pki.intermediate, pki.root], store: pki.otherStore)
        #expect(verdict.reasons == [.unknownIssuer, .selfSigned])
        #expect(verdict.detail.contains("self-signed certificate in certificate chain"), "\(verdict.detail)")
    }

    @Test func missingIntermediateIsAnUnknownIssuer() {
        let verdict = verify([pki.leaf])
        #expect(verdict.reasons == [.unknownIssuer])
        #expect(verdict.chainSPKISHA256.count == 1)
    }

    @Test func validityIsJudgedAtCaptureTimeNotNow() {
        // Valid today, expired at capture time.
        #expect(verify([pki.leaf, pki.intermediate], at: CaptureTime.now).trusted)
        let expired = verify([pki.leaf, pki.intermediate], at: CaptureTime.january2045)
        #expect(expired.reasons == [.expired])
        #expect(expired.detail.contains("certificate has expired (depth 0)"), "\(expired.detail)")
        // Expired today, valid at capture time.
        #expect(verify([pki.oldLeaf, pki.intermediate], at: CaptureTime.june2023).trusted)
        #expect(verify([pki.oldLeaf, pki.intermediate], at: CaptureTime.now).reasons == [.expired])
        // Not yet valid.
        #expect(verify([pki.leaf, pki.intermediate], at: CaptureTime.june2019).reasons == [.notYetValid])
    }

    @Test func hostnameMismatch() {
        let verdict = verify([pki.leaf, pki.intermediate], "www.other.example")
        #expect(verdict.reasons == [.hostnameMismatch])
        #expect(verdict.detail.contains("hostname mismatch"), "\(verdict.detail)")
    }

    @Test func everyProblemIsReported() {
        let verdict = verify([pki.leaf, pki.intermediate], "www.other.example", at: CaptureTime.january2045)
        #expect(verdict.reasons == [.expired, .hostnameMismatch])
        #expect(verdict.reasonList == "expired, hostname-mismatch")
        let worse = verify([pki.leaf], "www.other.example", at: CaptureTime.january2045, store: pki.otherStore)
        #expect(worse.reasons == [.unknownIssuer, .expired, .hostnameMismatch])
    }

    @Test func selfSignedLeaf() {
        let verdict = verify([pki.selfSignedLeaf])
        #expect(verdict.reasons == [.selfSigned])
        #expect(verdict.detail.contains("self-signed certificate (depth 0)"), "\(verdict.detail)")
        #expect(verify([pki.selfSignedLeaf], store: pki.otherStore).reasons == [.selfSigned])
    }

    @Test func tamperedSignature() {
        var tampered = pki.leaf
        tampered[tampered.count - 1] ^= 0x01
        let verdict = verify([tampered, pki.intermediate])
        #expect(verdict.reasons == [.badSignature])
        #expect(verdict.detail.contains("certificate signature failure (depth 0)"), "\(verdict.detail)")
        var tamperedSelf = pki.selfSignedLeaf
        tamperedSelf[tamperedSelf.count - 1] ^= 0x01
        #expect(verify([tamperedSelf]).reasons == [.badSignature, .selfSigned])
    }

    @Test func unparsableCertificates() {
        let garbage: [UInt8] = [0x30, 0x03, 0x02, 0x01, 0x00]
        let verdict = verify([garbage, pki.intermediate])
        #expect(verdict.reasons == [.invalidCertificate])
        #expect(verdict.detail == "the certificate at depth 0 does not parse")
        #expect(verify([Array("hello".utf8)]).reasons == [.invalidCertificate])
        // Trailing bytes after a certificate: a TLS client rejects the entry.
        #expect(verify([pki.leaf + [0], pki.intermediate]).reasons == [.invalidCertificate])
        // A broken intermediate: reported, and the leaf then lacks its issuer.
        #expect(verify([pki.leaf, garbage]).reasons == [.unknownIssuer, .invalidCertificate])
        #expect(verify([pki.leaf, garbage, pki.intermediate]).reasons == [.invalidCertificate])
        #expect(verify([]).reasons == [.other])
    }

    @Test func systemStoreTrustsNothingMadeHere() throws {
        let system = try TrustStore()
        #expect(system.source == "system")
        let validator = ChainValidator(trustStore: system)
        let verdict = validator.verify(chain: [pki.leaf, pki.intermediate], hostname: "www.bank.example", at: CaptureTime.june2025)
        #expect(!verdict.trusted)
        #expect(verdict.reasons == [.unknownIssuer])
        #expect(validator.verify(chain: [pki.selfSignedLeaf], hostname: nil, at: CaptureTime.june2025).reasons == [.selfSigned])
    }

    @Test func verdictsAreCachedByChainAndHourAndNamesMatchedApart() {
        let validator = ChainValidator(trustStore: pki.publicStore, cacheCapacity: 8)
        let chain = [pki.leaf, pki.intermediate]
        let first = validator.verify(chain: chain, hostname: "www.bank.example", at: CaptureTime.june2025)
        let second = validator.verify(chain: chain, hostname: "WWW.BANK.EXAMPLE", at: CaptureTime.june2025 + 1800)
        #expect(first == second && first.trusted)
        #expect(validator.cacheHits == 1 && validator.cacheMisses == 1)
        // Another name is the same chain verdict (one OpenSSL verification serves every name of a
        // certificate), matched against the leaf apart; another hour is another entry.
        let other = validator.verify(chain: chain, hostname: "www.other.example", at: CaptureTime.june2025)
        #expect(other.reasons == [.hostnameMismatch] && !other.trusted && other.anchorSPKISHA256 == nil)
        #expect(other.detail.contains("hostname mismatch"), "\(other.detail)")
        #expect(validator.cacheHits == 2 && validator.cacheMisses == 1)
        #expect(validator.verify(chain: chain, hostname: "www.bank.example", at: CaptureTime.january2045).reasons == [.expired])
        #expect(validator.verify(chain: chain, hostname: "www.other.example", at: CaptureTime.january2045).reasons
            == [.expired, .hostnameMismatch])
        #expect(validator.cacheMisses == 2)
        // Bounded: many distinct hours do not grow it without limit, and answers stay right.
        for hour in 0..<40 {
            #expect(validator.verify(chain: chain, hostname: "www.bank.example", at: CaptureTime.june2025 + Int64(hour) * 3600).trusted)
        }
    }

    @Test func aCertificateExpiringWithinTheHourIsNotServedFromTheCache() {
        let validator = ChainValidator(trustStore: pki.publicStore)
        let chain = [pki.halfHourLeaf, pki.intermediate]
        #expect(validator.verify(chain: chain, hostname: "www.bank.example", at: CaptureTime.newYear2024At0010).trusted)
        #expect(validator.verify(chain: chain, hostname: "www.bank.example", at: CaptureTime.newYear2024At0050).reasons == [.expired])
        #expect(validator.verify(chain: chain, hostname: "www.bank.example", at: CaptureTime.newYear2024At0010).trusted)
    }

    @Test func inspectionAllowListNeedsTheListedKeyToHaveSigned() throws {
        let intermediate = spkiHex(pki.intermediateSPKI)
        let verdict = verify([pki.leaf, pki.intermediate], store: pki.otherStore)
        #expect(try InspectionAllowList(spkiSHA256Hex: [intermediate.uppercased()]).suppresses(verdict))
        #expect(try !InspectionAllowList(spkiSHA256Hex: [verdict.chainSPKISHA256[0]]).suppresses(verdict))
        #expect(!InspectionAllowList().suppresses(verdict))
        var tampered = pki.leaf
        tampered[tampered.count - 1] ^= 0x01
        let forged = verify([tampered, pki.intermediate], store: pki.otherStore)
        #expect(forged.reasons.contains(.badSignature))
        #expect(try !InspectionAllowList(spkiSHA256Hex: [intermediate]).suppresses(forged))
        #expect(throws: InspectionAllowList.InvalidEntry.self) { try InspectionAllowList(spkiSHA256Hex: ["abc"]) }
    }

    @Test func reasonsMapOpenSSLCodes() {
        #expect(UntrustedReason.allCases.map(\.rawValue) == [
            "unknown-issuer", "expired", "not-yet-valid", "hostname-mismatch", "bad-signature", "self-signed",
            "invalid-certificate", "other",
        ])
        #expect(UntrustedReason.reasons(forOpenSSLError: 20) == [.unknownIssuer])  // UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        #expect(UntrustedReason.reasons(forOpenSSLError: 10) == [.expired])        // CERT_HAS_EXPIRED
        #expect(UntrustedReason.reasons(forOpenSSLError: 62) == [.hostnameMismatch])
        #expect(UntrustedReason.reasons(forOpenSSLError: 26) == [.other])          // INVALID_PURPOSE
    }
}

@Suite struct TrustStoreTests {
    @Test func loadsDirectoriesFilesAndDER() throws {
        let pki = try TestPKI.make()
        #expect(pki.publicStore.certificateCount == 1)
        #expect(pki.otherStore.certificateCount == 1)
        #expect(pki.otherStore.skipped.count == 1 && pki.otherStore.skipped[0].hasPrefix("junk.pem"), "\(pki.otherStore.skipped)")
        #expect(pki.bundleStore.certificateCount == 2)
        let chain = [pki.leaf, pki.intermediate]
        #expect(ChainValidator(trustStore: pki.bundleStore).verify(chain: chain, hostname: nil, at: CaptureTime.june2025).trusted)
    }

    @Test func missingOrEmptyStoresAreErrors() throws {
        #expect(throws: TrustStoreError.self) { try TrustStore(path: "/nonexistent/mitmwatch-store") }
        let empty = NSTemporaryDirectory() + "mitmwatch-empty-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(throws: TrustStoreError.self) { try TrustStore(path: empty) }
    }

    @Test func systemStoreLoads() throws {
        let system = try TrustStore()
        // ca-certificates (scripts/setup.sh) puts the bundle where OpenSSL looks first.
        #expect(system.certificateCount > 50)
    }
}
