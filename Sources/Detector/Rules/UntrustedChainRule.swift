import Sniffer
import Certificates

/// Rule 2: `untrusted-chain` — the chain, with the intermediates sent, does not validate to the
/// trust store at the capture time for the SNI; scoped to public names by default; sanctioned
/// inspection CAs (by SPKI, verified to have signed the chain) are allowed.
public struct UntrustedChainRule: ChainJudgeRule {
    public let validator: ChainValidator
    public let scope: UntrustedScope
    public let publicSuffixes: PublicSuffixList
    public let allowList: InspectionAllowList
    public private(set) var allowed = 0
    /// Scope answers by server name (the public-suffix walk is string work per session).
    /// Bounded: cleared when full.
    private var inScope: [String: Bool] = [:]

    public init(validator: ChainValidator, scope: UntrustedScope, publicSuffixes: PublicSuffixList,
                allowList: InspectionAllowList) {
        self.validator = validator
        self.scope = scope
        self.publicSuffixes = publicSuffixes
        self.allowList = allowList
    }

    public mutating func evaluate(chain: [KnownCertificate], der: [[UInt8]], session: borrowing TLSSession,
                                  at time: Timestamp) -> [Finding] {
        let name = session.serverName
        guard !der.isEmpty, scoped(name) else { return [] }
        let verdict = validator.verify(chain: der, hostname: name, at: time.seconds, fingerprints: chain.map(\.sha256))
        guard !verdict.trusted else { return [] }
        if allowList.suppresses(verdict) {
            allowed += 1
            return []
        }
        return [Finding(rule: .untrustedChain, position: 0, reasons: verdict.reasons.map(\.rawValue),
                        issuerKey: chain.first?.authorityKeyIdentifier ?? chain.first?.issuerName,
                        detail: verdict.detail)]
    }

    private mutating func scoped(_ name: String?) -> Bool {
        guard let name, scope == .public else { return isInScope(sni: name, scope: scope, publicSuffixes: publicSuffixes) }
        if let known = inScope[name] { return known }
        if inScope.count >= 16_384 { inScope.removeAll(keepingCapacity: true) }
        let answer = isInScope(sni: name, scope: scope, publicSuffixes: publicSuffixes)
        inScope[name] = answer
        return answer
    }
}
