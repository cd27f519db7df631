import Certificates

/// Rules 1a/1b: `known-interception-ca` and `government-ca`. Any certificate in the chain as sent
/// is an indicator (by SHA-256, SHA-1 or SPKI SHA-256 — a re-issued certificate with the same key
/// still matches), or was issued by one: its issuer name equals the indicator's subject and, when
/// both are present, its authority key id equals the indicator's subject key id. When the
/// indicator's certificate is known, the issued certificate's signature is verified with its key.
/// Digest matches apply to malformed chains too: a certificate that does not parse still has a hash.
public struct IndicatorRule: DetectionRule {
    public let indicators: IndicatorSet
    /// Certificates no indicator concerns (see `IndicatorSet.mayConcern`): one lookup instead of
    /// five for the certificates of nearly every session. Bounded; a new rule set starts empty.
    private var unconcerned: Set<CertificateFingerprint> = []
    /// Signature checks already made: (issued certificate, indicator) → verified. A stream of
    /// sessions with the same interception chain costs one OpenSSL check, not one each. Bounded.
    private var verifiedSignatures: [SignatureKey: Bool?] = [:]
    private struct SignatureKey: Hashable {
        var issued: CertificateFingerprint
        var indicator: Int
    }

    public init(indicators: IndicatorSet) { self.indicators = indicators }

    public mutating func evaluate(_ context: borrowing ChainContext, into findings: inout [Finding]) {
        var concerned = false
        for certificate in context.certificates where !unconcerned.contains(certificate.sha256) {
            if indicators.mayConcern(certificate) {
                concerned = true
            } else {
                if unconcerned.count >= 65_536 { unconcerned.removeAll(keepingCapacity: true) }
                unconcerned.insert(certificate.sha256)
            }
        }
        guard concerned else { return }
        let start = findings.count
        for (position, certificate) in context.certificates.enumerated() {
            for index in indicators.matching(sha256: certificate.sha256) {
                add(index, position, .fingerprint, nil, to: &findings, from: start)
            }
            for index in indicators.matching(sha1: certificate.sha1) {
                add(index, position, .sha1, nil, to: &findings, from: start)
            }
            if let spki = certificate.spkiSHA256 {
                for index in indicators.matching(spkiSHA256: spki) {
                    add(index, position, .spki, nil, to: &findings, from: start)
                }
            }
            guard let issuer = certificate.issuerName else { continue }
            // Candidates by issuer name and by key id; both must agree below when both exist.
            var candidates = indicators.matching(subject: issuer)
            if let authorityKey = certificate.authorityKeyIdentifier {
                candidates += indicators.matching(subjectKeyIdentifier: authorityKey).filter { !candidates.contains($0) }
            }
            for index in candidates where indicators.indicators[index].subject == issuer {
                let indicator = indicators.indicators[index]
                // The indicator itself (a self-signed root) is a fingerprint/key match, not an issue.
                if indicator.sha256 == certificate.sha256.description
                    || (indicator.spkiSHA256 != nil && indicator.spkiSHA256 == certificate.spkiSHA256?.description) {
                    continue
                }
                var kind = IndicatorMatch.Kind.issuerName
                if let authorityKey = certificate.authorityKeyIdentifier, let subjectKey = indicator.subjectKeyIdentifier {
                    guard authorityKey == subjectKey else { continue }
                    kind = .issuerKeyID
                }
                let verified = signatureCheck(position, certificate.sha256, index, context)
                add(index, position, kind, verified, to: &findings, from: start)
            }
        }
    }

    /// One finding per (indicator, position): the strongest kind of match wins.
    private func add(_ index: Int, _ position: Int, _ kind: IndicatorMatch.Kind, _ verified: Bool?,
                     to findings: inout [Finding], from start: Int) {
        let indicator = indicators.indicators[index]
        let finding = Finding(
            rule: indicator.signal == .context ? .governmentCA : .knownInterceptionCA, position: position,
            issuingCA: indicator.spkiSHA256.map(IssuingCA.publicKey) ?? .name(indicator.subject ?? indicator.id),
            evidence: .indicator(IndicatorMatch(indicator: index, kind: kind, signatureVerified: verified)))
        if let existing = findings[start...].firstIndex(where: { $0.indicator == index && $0.position == position }) {
            if kind.strength > (findings[existing].matchType?.strength ?? 0) { findings[existing] = finding }
        } else {
            findings.append(finding)
        }
    }

    /// Whether the certificate at `position` is signed by indicator `index`'s key (nil: either
    /// is unknown to OpenSSL). Its DER is copied only when the answer is not cached.
    private mutating func signatureCheck(_ position: Int, _ issued: CertificateFingerprint, _ index: Int,
                                         _ context: borrowing ChainContext) -> Bool? {
        let key = SignatureKey(issued: issued, indicator: index)
        if let cached = verifiedSignatures[key] { return cached }
        var verified: Bool?
        if let issuerDER = indicators.indicators[index].certificateDER, let der = context.der(at: position) {
            verified = SignatureCheck.verifies(issued: der, issuer: issuerDER)
        }
        if verifiedSignatures.count >= 16_384 { verifiedSignatures.removeAll(keepingCapacity: true) }
        verifiedSignatures[key] = .some(verified)
        return verified
    }
}
