/// `malformed-chain` (informational): the server's Certificate message listed no certificate, or
/// a certificate that is not DER X.509. Any broken server or attacker can send that at will, so
/// it is reported as what it is — never as interception (the trust rules leave such chains alone;
/// digest matches against indicators still apply).
public struct MalformedChainRule: DetectionRule {
    public init() {}

    public func evaluate(_ context: borrowing ChainContext, into findings: inout [Finding]) {
        guard context.isMalformed else { return }
        var malformed = MalformedChain(empty: context.certificates.isEmpty)
        for (position, certificate) in context.certificates.enumerated() where certificate.layout == nil {
            malformed.unparsable.append(.init(position: position, error: certificate.parseError))
        }
        findings.append(Finding(rule: .malformedChain, position: malformed.unparsable.first?.position,
                                evidence: .malformed(malformed)))
    }
}
