import Sniffer

/// A detection rule: judges one chain in its context and adds its findings. Every rule —
/// indicators, trust, pins, transparency, shape — has this one shape, whether the chain was
/// captured or fetched by a probe. Rules may keep caches (`mutating`); one rule set per thread.
public protocol DetectionRule: SendableMetatype {
    mutating func evaluate(_ context: borrowing ChainContext, into findings: inout [Finding])

    /// Whether a finding made when the chain was seen still stands once its session has ended
    /// (what came after the Certificate message: a stapled OCSP response). Default: it does.
    /// A question about the finding and the session only (static), so that it is answered the
    /// same after a reload has replaced the rule set the finding came from.
    static func stands(_ finding: Finding, after session: TLSSession) -> Bool
}

extension DetectionRule {
    public static func stands(_ finding: Finding, after session: TLSSession) -> Bool { true }
}
