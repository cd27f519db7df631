import Detector
import Sniffer

#if canImport(Glibc)
import Glibc
#endif

/// One capture thread: polls its captures (one per interface; with AF_PACKET fanout, its share
/// of each interface's connections), runs every packet through its own pipeline — flows,
/// reassembly, certificate cache, validators — and reports finished sessions to the shared
/// outputs. Between batches it exchanges mail with the main thread: new captures, interfaces to
/// let go of, a new detection setup, stop; and publishes its counters every 100 ms or so.
struct CaptureWorker {
    private let link: WorkerLink
    private let detection: DetectionBroadcast
    private var generation: Int
    private var pipeline: Pipeline<DetectionObserver>
    private var sources: [any PacketSource] = []
    /// What the kernel counted for captures this worker has closed, so totals never go back.
    private var closedKernel: [String: KernelStatistics] = [:]
    private var released: [(interface: String, failure: String?)] = []

    /// How long the worker waits in poll when nothing happens; also the longest gap between snapshots.
    static let pollMilliseconds: Int32 = 250
    /// Snapshots are published at most this often while packets flow.
    static let snapshotSeconds = 0.1

    init(link: WorkerLink, limits: SnifferLimits, detection: DetectionBroadcast, outputs: SharedOutputs,
         probes: ProbeFeed) {
        self.link = link
        self.detection = detection
        let (generation, prepared) = detection.latest()
        self.generation = generation
        let observer = DetectionObserver(rules: RuleSet(prepared)) { report in
            outputs.report(report)
            probes.offer(report)  // to the prober: a chain it could not see, or its own probe (never blocks)
        }
        pipeline = Pipeline(limits: limits, observer: observer)
    }

    mutating func run() {
        var lastSnapshot = 0.0
        var snapshotDue = true
        while true {
            let now = Daemon.now()
            let mail = link.exchange(released: released, snapshot: snapshotDue ? snapshot() : nil)
            if snapshotDue { lastSnapshot = now }
            released = []
            for handover in mail.incoming { sources.append(handover.source) }
            for interface in mail.release { close(interface, failure: nil) }
            if mail.stop { break }
            if let fresh = detection.newer(than: generation) {
                generation = fresh.generation
                pipeline.observer.rules = RuleSet(fresh.detection)
            }
            var descriptors = sources.map { pollfd(fd: $0.pollDescriptor, events: Int16(POLLIN), revents: 0) }
            // unsafe: poll reads and writes `descriptors.count` entries of the local array.
            _ = unsafe poll(&descriptors, nfds_t(descriptors.count), Self.pollMilliseconds)
            var failed: [(index: Int, reason: String)] = []
            for (index, entry) in descriptors.enumerated() where entry.revents != 0 {
                if case .failed(let reason) = drain(sources[index]) { failed.append((index, reason)) }
            }
            for failure in failed.reversed() { close(at: failure.index, failure: failure.reason) }
            snapshotDue = Daemon.now() - lastSnapshot >= Self.snapshotSeconds
        }
        // Stopping: what the kernel still holds is read first (an AF_PACKET block that is not
        // full is handed over only after its timeout), then every open session is reported.
        let wait = sources.compactMap { ($0 as? AFPacketCapture)?.settings.blockTimeoutMilliseconds }.max() ?? 0
        if wait > 0 { usleep(UInt32(wait * 3) * 1000) }
        for source in sources { _ = drain(source) }
        pipeline.finish()
        _ = link.exchange(released: released, snapshot: snapshot())
    }

    private mutating func drain(_ source: any PacketSource) -> DrainResult {
        let linkType = source.linkType
        return source.drain { frame, length, time in
            pipeline.process(frame: frame, originalLength: length, linkType: linkType, at: time)
        }
    }

    private mutating func close(_ interface: String, failure: String?) {
        while let index = sources.firstIndex(where: { $0.interface == interface }) { close(at: index, failure: failure) }
    }

    /// Closes a capture (the last reference goes) and tells the main thread.
    private mutating func close(at index: Int, failure: String?) {
        let source = sources.remove(at: index)
        if let statistics = source.kernelStatistics { closedKernel[source.interface, default: KernelStatistics()] += statistics }
        released.append((source.interface, failure))
    }

    private func snapshot() -> WorkerSnapshot {
        var kernel = closedKernel
        for source in sources {
            if let statistics = source.kernelStatistics { kernel[source.interface, default: KernelStatistics()] += statistics }
        }
        return WorkerSnapshot(counters: pipeline.counters, activeFlows: pipeline.activeFlows,
                              evidence: pipeline.evidenceCounts, kernel: kernel)
    }
}
