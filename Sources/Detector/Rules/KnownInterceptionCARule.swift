import Certificates
/// Rules 1a/1b: `known-interception-ca` and `government-ca`. Any certificate in the chain as sent
/// is an indicator (by SHA-256, SHA-1 or SPKI SHA-256 — a re-issued certificate with the same key
/// still matches), or was issued by one: its issuer name equals the indicator's subject and, when
/// both are present, its authority key id equals the indicator's subject key id. When the
/// indicator's certificate is known, the issued certificate's signature is verified with its key.
enum KnownInterceptionCARule {
    /// `verify(position, indicator)` checks the signature of the certificate at `position` with
    /// the indicator's key (nil: unknown); callers cache it, since OpenSSL's check is costly.
    static func evaluate(_ chain: [KnownCertificate], indicators: IndicatorSet,
                         der: (Int) -> [UInt8]?) -> [Finding] {
        evaluate(chain, indicators: indicators) { position, index in
            verifySignature(of: der(position), by: index, in: indicators)
        }
    }

    /// Whether `issued` is signed by indicator `index`'s key; nil when either is unknown.
    static func verifySignature(of issued: [UInt8]?, by index: Int, in indicators: IndicatorSet) -> Bool? {
        guard let issuerDER = indicators.indicators[index].certificateDER, let issued else { return nil }
        return SignatureCheck.verifies(issued: issued, issuer: issuerDER)
    }

    static func evaluate(_ chain: [KnownCertificate], indicators: IndicatorSet,
                         verify: (_ position: Int, _ indicator: Int) -> Bool?) -> [Finding] {
        var findings: [Finding] = []
        func add(_ finding: Finding) {
            // One finding per (indicator, position): the strongest kind of match wins.
            if let existing = findings.firstIndex(where: { $0.indicator == finding.indicator && $0.position == finding.position }) {
                if strength(finding.matchType) > strength(findings[existing].matchType) { findings[existing] = finding }
            } else {
                findings.append(finding)
            }
        }
        for (position, certificate) in chain.enumerated() {
            for index in indicators.matching(sha256: certificate.sha256) {
                add(finding(index, position, .fingerprint, indicators))
            }
            for index in indicators.matching(sha1: certificate.sha1) {
                add(finding(index, position, .sha1, indicators))
            }
            if let spki = certificate.spkiSHA256 {
                for index in indicators.matching(spkiSHA256: spki) {
                    add(finding(index, position, .spki, indicators))
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
                var type = Finding.MatchType.issuerName
                if let authorityKey = certificate.authorityKeyIdentifier, let subjectKey = indicator.subjectKeyIdentifier {
                    guard authorityKey == subjectKey else { continue }
                    type = .issuerKeyID
                }
                var match = finding(index, position, type, indicators)
                match.signatureVerified = verify(position, index)
                add(match)
            }
        }
        return findings
    }

    private static func finding(_ index: Int, _ position: Int, _ type: Finding.MatchType, _ set: IndicatorSet) -> Finding {
        let indicator = set.indicators[index]
        return Finding(rule: indicator.signal == .context ? .governmentCA : .knownInterceptionCA,
                       position: position, indicator: index, matchType: type,
                       reasons: [type.rawValue], issuerKey: indicator.spkiSHA256 ?? indicator.subject ?? indicator.id)
    }

    private static func strength(_ type: Finding.MatchType?) -> Int {
        switch type {
        case .fingerprint: 5
        case .sha1: 4
        case .spki: 3
        case .issuerKeyID: 2
        case .issuerName: 1
        case nil: 0
        }
    }
}

/// Rule 5: `interception-shape` (informational): the leaf looks minted on the fly, as the
/// Kazakhstan 2019 boxes did — RSA public exponent 3, every extension but subjectAltName stripped.
/// Exponent 3 is required: no public CA has issued it for years, while leaves without extensions
/// still turn up in old and private deployments (18 in the peer corpus), so stripped extensions
/// are only added as supporting evidence.
enum InterceptionShapeRule {
    static func evaluate(_ chain: [KnownCertificate]) -> [Finding] {
        guard let leaf = chain.first, let layout = leaf.layout else { return [] }
        var reasons: [String] = []
        if layout.rsaExponent == 3 { reasons.append("rsa-exponent-3") }
        let summary = layout.extensions
        let onlySAN = summary.count == 0 || (summary.count == 1 && summary.subjectAltNames.isPresent)
        let issuedByOther = leaf.issuerName != nil && leaf.issuerName != leaf.subjectName
        if layout.version == 3 && onlySAN && issuedByOther { reasons.append("extensions-stripped") }
        guard reasons.contains("rsa-exponent-3") else { return [] }
        return [Finding(rule: .interceptionShape, position: 0, reasons: reasons,
                        issuerKey: leaf.authorityKeyIdentifier ?? leaf.issuerName)]
    }
}
