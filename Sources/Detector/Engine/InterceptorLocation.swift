import Sniffer

/// Where on the path a forged chain comes from: after a probe alerted, the same handshake
/// repeated on new connections whose ClientHello is sent at IP TTL 1, 2, 3, … — the first TTL at
/// which the forged chain comes back is the interceptor's distance in hops
/// (`mitmwatch.probe.interceptor_hops`).
public struct InterceptorLocation: Sendable, Equatable {
    /// What one TTL's handshake ended with (`mitmwatch.probe.hop_tries[].outcome`).
    public enum Outcome: String, Sendable {
        /// An ICMP error came back: a router before the TLS server dropped the ClientHello.
        case timeExceeded = "time-exceeded"
        /// Nothing came back before the try's timeout (a router that sends no ICMP errors).
        case noAnswer = "no-answer"
        /// The handshake completed with the chain the alert was about.
        case forgedChain = "forged-chain"
        /// The handshake completed with another chain.
        case otherChain = "other-chain"
        /// The handshake failed or the connection was closed or reset (`Try.detail` says how).
        case failed
        /// The TCP connection (made with the default TTL) could not be made.
        case unreachable
    }

    public struct Try: Sendable, Equatable {
        public var ttl: Int
        public var outcome: Outcome
        /// The probe's error in words, for the outcomes that come from one.
        public var detail: String?

        public init(ttl: Int, outcome: Outcome, detail: String? = nil) {
            self.ttl = ttl
            self.outcome = outcome
            self.detail = detail
        }
    }

    /// Why the tries stopped.
    public enum Ending: String, Sendable {
        /// The forged chain came back (at the last try's TTL).
        case located
        /// Another chain came back first: the genuine server is nearer than the interceptor, or
        /// the interception is intermittent.
        case otherChain = "other-chain"
        /// Every TTL up to the limit was tried without the forged chain.
        case maxHops = "max-hops"
        /// The overall time limit passed.
        case deadline
        /// A new connection to the server could not be made.
        case unreachable
    }

    /// The probed server (as the alerting probe reached it) and the SNI sent.
    public var server: Endpoint
    public var serverName: String?
    /// The probe session whose alert this follows (`mitmwatch.session_id`), and the passive
    /// session that led to that probe when there was one (`mitmwatch.probe.session_id`).
    public var probeSession: UInt64
    public var triggeringSession: UInt64?
    public var trigger: ProbeDetails.Trigger
    public var tries: [Try]
    public var ending: Ending
    public var maxHops: Int
    /// When the last try ended.
    public var end: Timestamp

    public init(server: Endpoint, serverName: String?, probeSession: UInt64, triggeringSession: UInt64?,
                trigger: ProbeDetails.Trigger, tries: [Try], ending: Ending, maxHops: Int, end: Timestamp) {
        self.server = server
        self.serverName = serverName
        self.probeSession = probeSession
        self.triggeringSession = triggeringSession
        self.trigger = trigger
        self.tries = tries
        self.ending = ending
        self.maxHops = maxHops
        self.end = end
    }

    /// The interceptor's distance: the TTL at which the forged chain came back, nil when it did not.
    public var hops: Int? { ending == .located ? tries.last?.ttl : nil }
}
