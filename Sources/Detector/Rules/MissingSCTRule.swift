import Certificates
import Sniffer

/// Rule 4: `missing-sct` — the leaf validates to the trust store, was issued from 2018-05-01
/// (when RFC 6962 compliance became mandatory for publicly trusted certificates) and embeds no
/// SCT: one must then come in the TLS extension or the stapled OCSP response. The stapled
/// response follows the Certificate message, so the finding stands only if the session ends
/// without either.
public struct MissingSCTRule: DetectionRule {
    public let validator: ChainValidator
    static let transparencyRequiredSince: Int64 = 1_525_132_800

    public init(validator: ChainValidator) { self.validator = validator }

    public func evaluate(_ context: borrowing ChainContext, into findings: inout [Finding]) {
        guard !context.isMalformed, let leaf = context.leaf, let layout = leaf.layout,
              layout.notBefore >= Self.transparencyRequiredSince, (layout.extensions.sctCount ?? 0) == 0,
              validator.verify(context).trusted else { return }
        findings.append(Finding(rule: .missingSCT, position: 0, issuingCA: IssuingCA(issuerOf: leaf),
                                evidence: .noCertificateTransparency))
    }

    public static func stands(_ finding: Finding, after session: TLSSession) -> Bool {
        (session.serverHello?.sctCount ?? 0) == 0
            && !(session.ocspResponse.map(OCSPStapling.carriesSCTs) ?? false)
    }
}
