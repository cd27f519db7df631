/// Rule 5: `interception-shape` (informational): the leaf looks minted on the fly, as the
/// Kazakhstan 2019 boxes did — RSA public exponent 3, every extension but subjectAltName stripped.
/// Exponent 3 is required: no public CA has issued it for years, while leaves without extensions
/// still turn up in old and private deployments (18 in the peer corpus), so stripped extensions
/// are only added as supporting evidence.
public struct InterceptionShapeRule: DetectionRule {
    public init() {}

    public func evaluate(_ context: borrowing ChainContext, into findings: inout [Finding]) {
        guard let leaf = context.leaf, let layout = leaf.layout, layout.rsaExponent == 3 else { return }
        var traits: [ShapeTrait] = [.rsaExponent3]
        let summary = layout.extensions
        let onlySAN = summary.count == 0 || (summary.count == 1 && summary.subjectAltNames.isPresent)
        let issuedByOther = leaf.issuerName != nil && leaf.issuerName != leaf.subjectName
        if layout.version == 3 && onlySAN && issuedByOther { traits.append(.extensionsStripped) }
        findings.append(Finding(rule: .interceptionShape, position: 0, issuingCA: IssuingCA(issuerOf: leaf),
                                evidence: .shape(traits)))
    }
}
