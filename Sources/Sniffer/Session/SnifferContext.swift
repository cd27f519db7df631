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

    init(limits: ReassemblyLimits, observer: any TLSObserver, certificates: CertificateCache) {
        self.limits = limits
        self.budget = MemoryBudget(limit: limits.memcap)
        self.observer = observer
        self.certificates = certificates
    }
}
