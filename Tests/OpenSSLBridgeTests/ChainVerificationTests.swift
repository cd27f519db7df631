import OpenSSLBridge
import Testing

@Suite struct ChainVerificationTests {
    private let pki: BridgePKI
    private let root: OpenSSLCertificate
    private let intermediate: OpenSSLCertificate
    private let leaf: OpenSSLCertificate
    private let rootSPKI: SHA256Digest
    /// A day after issue: no validity boundary lies in the hour around it.
    private let later: Int64

    init() throws {
        pki = try BridgePKI.make()
        root = try BridgePKI.certificate(pki.root)
        intermediate = try BridgePKI.certificate(pki.intermediate)
        leaf = try BridgePKI.certificate(pki.leaf)
        rootSPKI = try #require(root.subjectPublicKeyInfoSHA256(using: SHA256Hasher()))
        later = pki.issued + 86_400
    }

    private func store(_ anchors: OpenSSLCertificate...) -> CertificateStore {
        let store = CertificateStore()
        for anchor in anchors { #expect(store.add(anchor)) }
        return store
    }

    private func verify(_ store: CertificateStore, intermediates: [OpenSSLCertificate], at time: Int64? = nil,
                        name: ExpectedName? = nil) throws -> ChainVerification {
        let time = time ?? later
        return try #require(ChainVerification.verifyTLSServer(
            leaf: leaf, intermediates: intermediates, store: store, at: time, name: name,
            window: time - 1800...time + 1800, hasher: SHA256Hasher()))
    }

    @Test func storeCountsItsAnchors() {
        #expect(store().certificateCount == 0)
        #expect(store(root).certificateCount == 1)
        #expect(store(root, root).certificateCount == 1)  // a duplicate is ignored
    }

    @Test func trustedChainReachesTheAnchor() throws {
        let result = try verify(store(root), intermediates: [intermediate], name: .host("www.bank.example"))
        #expect(result.succeeded && result.nameAccepted && result.problems.isEmpty)
        #expect(result.finalErrorCode == 0)
        #expect(result.chainSPKISHA256.count == 3)
        #expect(result.chainSPKISHA256.last == rootSPKI)
        #expect(!result.chainValidityChangesInWindow)
    }

    @Test func everyProblemIsCollected() throws {
        let result = try verify(store(root), intermediates: [intermediate], at: pki.issued + 400 * 86_400,
                                name: .host("www.other.example"))
        let kinds = result.problems.map(\.kind)
        #expect(kinds.contains(.expired) && kinds.contains(.hostnameMismatch), "\(result.problems)")
        let expired = try #require(result.problems.first { $0.kind == .expired && $0.depth == 0 })
        #expect(expired.text == "certificate has expired" && expired.code == 10)
    }

    @Test func missingIntermediateIsUnknownIssuer() throws {
        let result = try verify(store(root), intermediates: [])
        #expect(!result.problems.isEmpty && result.problems.allSatisfy { $0.kind == .unknownIssuer && $0.depth == 0 },
                "\(result.problems)")
        #expect(result.chainSPKISHA256.count == 1)
    }

    @Test func windowSeesABoundaryOfTheBuiltChain() throws {
        // Every certificate was issued within a minute after `issued`: their notBefore lie in the window.
        let result = try verify(store(root), intermediates: [intermediate], at: pki.issued + 60)
        #expect(result.chainValidityChangesInWindow)
    }

    @Test func unusableNameIsReported() throws {
        let result = try verify(store(root), intermediates: [intermediate], name: .ipAddress("not an address"))
        #expect(!result.nameAccepted)
    }

    @Test func codesAreClassified() {
        let kinds: [Int32: VerificationError.Kind] = [
            2: .unknownIssuer, 20: .unknownIssuer, 21: .unknownIssuer, 10: .expired, 9: .notYetValid,
            62: .hostnameMismatch, 64: .hostnameMismatch, 7: .badSignature, 4: .badSignature,
            18: .selfSignedLeaf, 19: .selfSignedInChain, 13: .invalidField, 14: .invalidField, 6: .invalidField,
            26: .other, 24: .other, 0: .other,
        ]
        for (code, kind) in kinds { #expect(VerificationError.Kind(code: code) == kind, "code \(code)") }
        #expect(VerificationError(code: 20, depth: 1).text == "unable to get local issuer certificate")
    }
}
