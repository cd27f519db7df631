import Sniffer

/// The main thread's view of the interfaces: opens each one — with AF_PACKET, one fanout socket
/// per worker, all at once, so they form one group; with libpcap, one handle for worker 0 —
/// hands the captures to the workers, notices when one fails, has every worker let go of that
/// interface, and opens it again with backoff. Runs only on the main thread, which keeps
/// CAP_NET_RAW after dropping privileges; the workers never open anything.
final class CaptureInterfaces {
    private enum State {
        /// Captured by these workers.
        case capturing(workers: Set<Int>)
        /// Failed: waiting for these workers to close their captures before reopening.
        case closing(workers: Set<Int>)
        /// Not open: the next attempt is due at `at`; `delay` is the current backoff.
        case waiting(at: Double, delay: Double, failedBefore: Bool)
    }

    private var states: [String: State] = [:]
    private var capture: DaemonConfig.Capture
    private var interfaces: [String]
    private let pool: WorkerPool
    /// Interfaces where `auto` fell back to libpcap (said once).
    private var fellBack: Set<String> = []
    /// Times each interface went down (failed to open at the start of a spell, or failed while
    /// captured); never goes back, also for interfaces a reload removed.
    private var failures: [String: Int] = [:]

    init(config: DaemonConfig, pool: WorkerPool) {
        capture = config.capture
        interfaces = config.interfaces
        self.pool = pool
    }

    /// Opens every configured interface (those that fail are retried later).
    func openAll() {
        for interface in interfaces { open(interface) }
    }

    /// A new configuration: interfaces that left are closed, new ones opened. Capture settings
    /// apply to what is opened from now on; the number of workers and the method stay as started.
    func apply(_ config: DaemonConfig) {
        var fresh = config.capture
        fresh.workers = capture.workers
        fresh.method = capture.method
        capture = fresh
        for interface in interfaces where !config.interfaces.contains(interface) {
            if case .capturing(let workers) = states[interface] { pool.release(interface, by: workers) }
            states[interface] = nil
        }
        interfaces = config.interfaces
        for interface in interfaces where states[interface] == nil { open(interface) }
    }

    /// Per configured interface: captured or not, and how often it went down (for the metrics).
    var health: [String: Metrics.InterfaceHealth] {
        var result: [String: Metrics.InterfaceHealth] = [:]
        for interface in interfaces {
            var up = false
            if case .capturing = states[interface] { up = true }
            result[interface] = Metrics.InterfaceHealth(up: up, failures: failures[interface, default: 0])
        }
        return result
    }

    /// Notes the captures workers closed and retries what is due.
    func tick(now: Double) {
        for (worker, interface, failure) in pool.takeReleased() {
            guard let state = states[interface] else { continue }
            switch state {
            case .capturing(var workers):
                // The first failure is reported; the other workers let go of the interface too,
                // so it is reopened as a whole (a fanout group is bound to one device).
                if let failure {
                    failures[interface, default: 0] += 1
                    Log.warning("interface \(interface) failed: \(failure); will retry", id: JournalMessageID.interfaceDown)
                }
                workers.remove(worker)
                pool.release(interface, by: workers)
                states[interface] = closed(workers)
            case .closing(var workers):
                workers.remove(worker)
                states[interface] = closed(workers)
            case .waiting:
                break
            }
        }
        for (interface, state) in states {
            if case .waiting(let at, _, _) = state, at <= now { open(interface) }
        }
    }

    private func closed(_ workers: Set<Int>) -> State {
        workers.isEmpty ? .waiting(at: Daemon.now() + capture.retrySeconds, delay: capture.retrySeconds, failedBefore: true)
                        : .closing(workers: workers)
    }

    /// Opens `interface`; on failure, schedules the next attempt with backoff (said once per spell).
    private func open(_ interface: String) {
        do {
            let sources = try openSources(interface)
            for (worker, source) in sources.enumerated() { pool.hand(source, to: worker) }
            if case .waiting(_, _, true) = states[interface] {
                Log.info("interface \(interface) is back; capturing", id: JournalMessageID.interfaceUp)
            }
            states[interface] = .capturing(workers: Set(sources.indices))
        } catch {
            var previous = capture.retrySeconds / 2
            var failedBefore = false
            if case .waiting(_, let delay, let failed) = states[interface] {
                previous = delay
                failedBefore = failed
            }
            let delay = min(previous * 2, capture.maxRetrySeconds)
            if !failedBefore {
                failures[interface, default: 0] += 1
                Log.warning("\(error.description); retrying every \(Int(delay.rounded(.up))) s or more",
                            id: JournalMessageID.interfaceDown)
            }
            states[interface] = .waiting(at: Daemon.now() + delay, delay: delay, failedBefore: true)
        }
    }

    /// The captures for `interface`, one per worker that will read it (index = worker).
    private func openSources(_ interface: String) throws(CaptureOpenError) -> [any PacketSource] {
        switch capture.method {
        case .pcap:
            return [try LiveCapture(interface: interface, settings: pcapSettings)]
        case .afPacket:
            return try afPacketSources(interface)
        case .auto:
            do {
                return try afPacketSources(interface)
            } catch where !error.isMissingInterface {
                let sources: [any PacketSource] = [try LiveCapture(interface: interface, settings: pcapSettings)]
                if fellBack.insert(interface).inserted {
                    Log.warning("interface \(interface): AF_PACKET capture unavailable (\(error.reason)); capturing with libpcap"
                        + (pool.count > 1 ? " on one worker" : ""))
                }
                return sources
            }
        }
    }

    private func afPacketSources(_ interface: String) throws(CaptureOpenError) -> [any PacketSource] {
        var settings = AFPacketCapture.Settings()
        settings.snaplen = capture.snaplen
        // capture.buffer_size_mb is per interface: the workers' rings share it.
        settings.ringBytes = (capture.bufferSizeMB << 20) / pool.count
        settings.promiscuous = capture.promiscuous
        settings.filter = capture.bpfFilter
        // An explicit group id: the first interface takes it, the next ones the following ids
        // (a group belongs to one interface).
        let group = capture.fanoutGroup.map { UInt16(truncatingIfNeeded: $0 + (interfaces.firstIndex(of: interface) ?? 0)) }
        return try AFPacketCapture.open(interface: interface, settings: settings, members: pool.count, group: group)
    }

    private var pcapSettings: LiveCapture.Settings {
        var settings = LiveCapture.Settings()
        settings.snaplen = Int32(capture.snaplen)
        settings.bufferSize = Int32(clamping: capture.bufferSizeMB << 20)
        settings.promiscuous = capture.promiscuous
        settings.filter = capture.bpfFilter
        return settings
    }
}
