import Certificates
/// Matching a chain held as DER arrays against the indicators (for `indicators check` and tests).
public enum IndicatorCheck {
    public static func findings(chain: [[UInt8]], indicators: IndicatorSet) -> [Finding] {
        var cache = CertificateCache(capacity: max(2, chain.count * 2))
        let known = chain.map { cache.lookup($0.span) }
        return KnownInterceptionCARule.evaluate(known, indicators: indicators) { chain.indices.contains($0) ? chain[$0] : nil }
    }
}
