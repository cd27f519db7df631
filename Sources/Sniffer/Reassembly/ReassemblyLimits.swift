/// Bounds on what one worker keeps while following TCP streams and TLS handshakes.
public struct ReassemblyLimits: Sendable, Equatable {
    /// Bytes one direction of a flow may hold in its buffers (out-of-order segments, partial
    /// TLS records, partial handshake messages). A Certificate message can legitimately be
    /// hundreds of KiB. Larger Certificate messages are kept up to this size and reported
    /// truncated.
    public var maxFlowBytes: Int = 1 << 20
    /// Bytes all flows together may hold (the memcap).
    public var memcap: Int = 512 << 20
    /// Out-of-order segments held per direction while waiting for a hole to fill.
    public var maxPendingSegments: Int = 512
    /// How far ahead of the next expected byte a segment may start and still be kept.
    public var maxSequenceLookahead: Int = 8 << 20
    /// Plaintext bytes scanned per direction for the start of TLS (STARTTLS, proxies).
    public var maxPreludeBytes: Int = 64 << 10
    /// Bytes scanned per direction for a plausible TLS record after a gap before giving up.
    public var maxResyncBytes: Int = 256 << 10
    /// Certificates of one Certificate message handed to the observer (fingerprinted, parsed,
    /// judged). Real chains have 1–5; the rest of a longer message is left out and the chain is
    /// marked truncated (`chain_certificates_over_cap`).
    public var maxCertificatesPerChain: Int = 64

    public init() {}
}

/// The total number of bytes held in reassembly buffers, against the memcap.
public struct MemoryBudget: Sendable {
    public private(set) var used: Int = 0
    public private(set) var peak: Int = 0
    public let limit: Int

    public init(limit: Int) { self.limit = limit }

    /// Takes `bytes` from the budget, or returns false (taking nothing) if that would pass the cap.
    public mutating func reserve(_ bytes: Int) -> Bool {
        guard bytes <= limit - used else { return false }
        used += bytes
        peak = max(peak, used)
        return true
    }

    /// Takes `bytes` even past the cap: for what must be kept (a chain's fingerprints), within
    /// the headroom the flow table keeps free, so at most that much over it until room is made.
    public mutating func take(_ bytes: Int) {
        used += bytes
        peak = max(peak, used)
    }

    public mutating func release(_ bytes: Int) {
        used = max(0, used - bytes)
    }
}
