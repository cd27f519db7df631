/// How much of each followed flow is kept as captured frames: the packets an alert's evidence
/// bundle holds. Off unless asked for, since every kept frame is a copy.
///
/// Frames are kept from a flow's first payload (when its handshake starts being followed) until
/// its handshake is over, so a flow holds its ClientHello, the server's flight and the ACKs in
/// between: 8–20 frames for a usual handshake, a few KiB to a few tens of KiB; a 64 KiB chain
/// in Ethernet-sized segments with their ACKs is ~90 frames. Past either
/// per-flow limit the later frames are left out (counted); past the worker's memcap, frames are
/// left out too — never another flow: evidence does not cost detection a handshake.
public struct EvidenceLimits: Sendable, Equatable {
    /// Frames kept per flow; 0 turns evidence off.
    public var maxPacketsPerFlow: Int = 0
    public var maxBytesPerFlow: Int = 256 << 10
    /// Frames held by one worker's followed flows at once.
    public var memcap: Int = 16 << 20

    public init(maxPacketsPerFlow: Int = 0, maxBytesPerFlow: Int = 256 << 10, memcap: Int = 16 << 20) {
        self.maxPacketsPerFlow = maxPacketsPerFlow
        self.maxBytesPerFlow = maxBytesPerFlow
        self.memcap = memcap
    }

    /// The limits when evidence bundles are written: 128 frames, 256 KiB a flow.
    public static let bundles = EvidenceLimits(maxPacketsPerFlow: 128)

    public var isEnabled: Bool { maxPacketsPerFlow > 0 && maxBytesPerFlow > 0 && memcap > 0 }
}

/// What happened to the frames of followed flows, for metrics and summaries.
public struct EvidenceCounts: Sendable, Equatable {
    public var framesKept: UInt64 = 0
    /// Past `maxPacketsPerFlow` or `maxBytesPerFlow`.
    public var framesOverFlowLimit: UInt64 = 0
    /// Past the worker's memcap.
    public var framesOverMemcap: UInt64 = 0
    /// Of another link type than the flow's first frame (one pcap has one link type).
    public var framesOtherLinkType: UInt64 = 0

    public init() {}

    public mutating func merge(_ other: EvidenceCounts) {
        framesKept &+= other.framesKept
        framesOverFlowLimit &+= other.framesOverFlowLimit
        framesOverMemcap &+= other.framesOverMemcap
        framesOtherLinkType &+= other.framesOtherLinkType
    }
}
