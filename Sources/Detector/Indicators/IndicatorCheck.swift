import Certificates
import Sniffer

/// Matching a chain held as DER arrays against the indicators (for `indicators check` and tests):
/// the indicator rule over the chain as a probe would hand it over.
public enum IndicatorCheck {
    public static func findings(chain: [[UInt8]], indicators: IndicatorSet) -> [Finding] {
        var cache = CertificateCache(capacity: max(2, chain.count * 2))
        var rule = IndicatorRule(indicators: indicators)
        let nowhere = Endpoint(address: IPAddress(high: 0, low: 0), port: 0)
        let session = TLSSession(id: 0, start: .zero, end: .zero, client: nowhere, server: nowhere)
        return ChainContext.withFetched(chain, session: session, at: .zero, cache: &cache) { context in
            var findings: [Finding] = []
            rule.evaluate(context, into: &findings)
            return findings
        }
    }
}
