/// What a probe's report says beyond the session: why the probe was made and what it offered.
public struct ProbeDetails: Sendable, Equatable {
    /// Why mitmwatch connected (`mitmwatch.probe.trigger`).
    public enum Trigger: String, Sendable {
        /// `mitmwatch probe` on the command line.
        case cli
        /// A name on the daemon's watch list (`probe.targets`).
        case watchlist
        /// A passive session whose chain could not be seen (`probe.follow_unobserved`).
        case unobservedSession = "unobserved-session"
    }

    public var trigger: Trigger
    /// The versions the probe's ClientHello offered ("1.2", "1.3").
    public var offeredVersions: [String]
    /// The application protocol the server chose (ALPN), if any.
    public var negotiatedALPN: String?
    /// The passive session that led to this probe (`mitmwatch.probe.session_id`).
    public var triggeringSession: UInt64?

    public init(trigger: Trigger, offeredVersions: [String], negotiatedALPN: String? = nil,
                triggeringSession: UInt64? = nil) {
        self.trigger = trigger
        self.offeredVersions = offeredVersions
        self.negotiatedALPN = negotiatedALPN
        self.triggeringSession = triggeringSession
    }
}
