/// Rule 2: `untrusted-chain` — the chain, with the intermediates sent, does not validate to the
/// trust store at the capture time for the SNI; scoped to public names by default; sanctioned
/// inspection CAs (by SPKI, verified to have signed the chain) are allowed. A malformed chain
/// (no certificate, or one that is not DER X.509 — ours or OpenSSL's judgement) is not judged:
/// it is `malformed-chain`, which anyone can produce at will.
public struct UntrustedChainRule: DetectionRule {
    public let validator: ChainValidator
    public let settings: DetectionConfiguration.UntrustedChain
    public private(set) var allowed = 0
    /// Scope answers by server name (the public-suffix walk is string work per session).
    /// Bounded: cleared when full.
    private var inScope: [String: Bool] = [:]

    public init(validator: ChainValidator, settings: DetectionConfiguration.UntrustedChain) {
        self.validator = validator
        self.settings = settings
    }

    public mutating func evaluate(_ context: borrowing ChainContext, into findings: inout [Finding]) {
        guard !context.isMalformed, scoped(context.serverName) else { return }
        let verdict = validator.verify(context)
        guard !verdict.trusted else { return }
        if verdict.reasons.contains(.invalidCertificate) {
            findings.append(Finding(rule: .malformedChain, position: 0,
                                    evidence: .malformed(MalformedChain(rejectedByOpenSSL: verdict.detail))))
            return
        }
        if settings.allowList.suppresses(verdict) {
            allowed += 1
            return
        }
        findings.append(Finding(rule: .untrustedChain, position: 0, issuingCA: context.leaf.flatMap(IssuingCA.init),
                                evidence: .untrusted(reasons: verdict.reasons, detail: verdict.detail)))
    }

    private mutating func scoped(_ name: String?) -> Bool {
        guard let name, settings.scope == .public else {
            return isInScope(sni: name, scope: settings.scope, publicSuffixes: settings.publicSuffixes)
        }
        if let known = inScope[name] { return known }
        if inScope.count >= 16_384 { inScope.removeAll(keepingCapacity: true) }
        let answer = isInScope(sni: name, scope: settings.scope, publicSuffixes: settings.publicSuffixes)
        inScope[name] = answer
        return answer
    }
}
