import Certificates

/// What the flow and TLS layers need from their surroundings: counters, memory, limits and the
/// observer. The observer is held as an existential on purpose: it is called once per
/// Certificate message and once per session, while everything else here runs per packet, and a
/// generic context would leave the whole per-packet path unspecialised in other modules.
struct SnifferContext {
    var counters = Counters()
    /// Capture time of the packet being processed.
    var now = Timestamp.zero
    /// 1-based number of the frame being processed, over the whole input.
    var frameNumber: UInt64 = 0
    var budget: MemoryBudget
    let limits: ReassemblyLimits
    var observer: any TLSObserver
    /// Certificates seen before are neither hashed nor parsed again (one per worker).
    var certificates: CertificateCache
    /// Buffers for records and handshake messages cut by segment or record boundaries.
    var buffers = RecordBufferPool()
    /// Hello lists and server names seen before, shared (see `HelloInterner`).
    var hellos = HelloInterner()
    /// Chains seen before, so a session reuses their fingerprints (see `ChainFingerprints`).
    var chains = ChainFingerprints()
    /// The array a Certificate message's certificates are collected in, reused from one message
    /// to the next (an observer that keeps it makes the next message allocate a new one).
    var knownScratch: [KnownCertificate] = []
    /// Frames kept for evidence, and sessions waiting for their last frame.
    var evidence: EvidenceRecorder
    /// The flow whose segment is being handled: the session's id and endpoints.
    private(set) var flowID: UInt64 = 0
    private(set) var flowKey = FlowKey(a: Endpoint(address: IPAddress(high: 0, low: 0), port: 0),
                                       b: Endpoint(address: IPAddress(high: 0, low: 0), port: 0))

    /// Byte counts per flow are kept in 32 bits (`StreamReassembler`, `TLSStreamParser`): the
    /// per-flow cap and the scan limits stay below 2^30 here (the daemon's configuration allows
    /// at most 1 GiB per flow already).
    static let maxPerFlowLimit = 1 << 30

    init(limits: ReassemblyLimits, evidence: EvidenceLimits = EvidenceLimits(), observer: any TLSObserver,
         certificates: CertificateCache) {
        self.evidence = EvidenceRecorder(limits: evidence)
        var limits = limits
        limits.maxFlowBytes = min(limits.maxFlowBytes, Self.maxPerFlowLimit)
        limits.maxPreludeBytes = min(limits.maxPreludeBytes, Self.maxPerFlowLimit)
        limits.maxResyncBytes = min(limits.maxResyncBytes, Self.maxPerFlowLimit)
        self.limits = limits
        self.budget = MemoryBudget(limit: limits.memcap)
        self.observer = observer
        self.certificates = certificates
    }

    mutating func follow(_ flow: Flow) {
        flowID = flow.id
        flowKey = flow.key
    }
}
