/// Detection as loaded from its files, immutable and Sendable: made once (at start and on each
/// reload) and shared by every thread, each of which makes its own `RuleSet` from it (OpenSSL
/// validators keep caches and are not thread-safe; the trust store itself is shared).
public struct DetectionConfiguration: Sendable {
    public struct UntrustedChain: Sendable {
        public var scope: UntrustedScope
        public var publicSuffixes: PublicSuffixList
        public var allowList: InspectionAllowList

        public init(scope: UntrustedScope, publicSuffixes: PublicSuffixList, allowList: InspectionAllowList) {
            self.scope = scope
            self.publicSuffixes = publicSuffixes
            self.allowList = allowList
        }
    }

    public var indicators: IndicatorSet
    /// nil when no rule validates chains.
    public var trustStore: TrustStore?
    /// `untrusted-chain` (needs `trustStore`); nil: off.
    public var untrustedChain: UntrustedChain?
    /// `pin-mismatch`; nil: off.
    public var pins: [PinMismatchRule.Pin]?
    /// `missing-sct` (needs `trustStore`).
    public var missingSCT: Bool
    /// `issuer-change`, `tls-downgrade`, `server-profile-change`: with an observation store only.
    public var history: HistoryRules?

    public init(indicators: IndicatorSet, trustStore: TrustStore? = nil, untrustedChain: UntrustedChain? = nil,
                pins: [PinMismatchRule.Pin]? = nil, missingSCT: Bool = false) {
        self.indicators = indicators
        self.trustStore = trustStore
        self.untrustedChain = untrustedChain
        self.pins = pins
        self.missingSCT = missingSCT
    }
}
