import CLinux
import Detector
import Sniffer

#if canImport(Glibc)
import Glibc
#endif

/// `mitmwatch run`: live capture on the configured interfaces by `capture.workers` threads
/// (`CaptureWorker`), each with its own pipeline; alerts to the JSON log (and stdout when asked)
/// and the journal; operational messages to stderr. The main thread opens the interfaces
/// (`CaptureInterfaces`, which retries failed ones with backoff), drops privileges, starts the
/// workers, then handles signals (SIGHUP: reload the config and reopen logs; SIGTERM/SIGINT:
/// stop the workers, which report every open session, and exit 0; SIGUSR1: a statistics line),
/// the service manager and the metrics, from the snapshots the workers publish.
final class Daemon {
    private var config: DaemonConfig
    private let configPath: String?
    private let overrides: (DaemonConfig) -> DaemonConfig
    private let outputs: SharedOutputs
    private let detection: DetectionBroadcast
    private let pool: WorkerPool
    private let interfaces: CaptureInterfaces
    private let signals: SignalDescriptor
    private let notify = SystemdNotify()
    private var nextStatus = 0.0
    private var nextWatchdog = 0.0
    private var nextMetrics = 0.0

    struct StartError: Error, CustomStringConvertible { var description: String }

    init(config: DaemonConfig, configPath: String?, overrides: @escaping (DaemonConfig) -> DaemonConfig) throws {
        self.config = config
        self.configPath = configPath
        self.overrides = overrides
        // Blocks the signals on this thread before any other exists: the workers inherit the mask,
        // so signals are only ever read here, from the descriptor.
        guard let signals = SignalDescriptor() else { throw StartError(description: "cannot set up signal handling") }
        self.signals = signals
        if config.journal {
            let journal = JournalWriter()
            if journal.isAvailable { Log.journal.withLock { $0 = journal } }
        }
        outputs = SharedOutputs(config: config)
        let prepared = try Self.detectionSetup(config).prepare()
        detection = DetectionBroadcast(prepared)
        outputs.setIndicators(prepared.indicators)
        pool = WorkerPool(count: config.capture.workers)
        interfaces = CaptureInterfaces(config: config, pool: pool)
    }

    static func detectionSetup(_ config: DaemonConfig) -> DetectionSetup {
        DetectionSetup(builtinIndicators: config.builtinIndicators, indicatorPaths: config.indicatorPaths,
                       trustStore: config.trustStore, untrustedScope: config.untrustedScope,
                       allowedInspectionCAs: config.allowInspectionCAs, untrustedChain: config.untrustedChain,
                       missingSCT: config.missingSCT, pins: config.pins)
    }

    /// Runs until SIGTERM or SIGINT; returns after every worker has reported its open sessions.
    func run() throws {
        // Capture first, then privileges, then threads: a thread gets the credentials of the one
        // that creates it, so every worker starts with CAP_NET_RAW at most.
        interfaces.openAll()
        if let user = config.user {
            if let ids = PrivilegeDrop.ids(of: user) { outputs.handOver(to: ids) }
            do { try PrivilegeDrop.become(user) } catch { throw StartError(description: error.description) }
            Log.info("running as \(user) with CAP_NET_RAW only")
        }
        pool.start(limits: config.workerLimits, detection: detection, outputs: outputs)
        Log.info("mitmwatch started on \(config.interfaces.joined(separator: ", "))"
            + (pool.count > 1 ? " with \(pool.count) capture threads" : "")
            + (config.jsonLog.path.map { "; alerts to \($0)" } ?? ""), id: JournalMessageID.started)
        notify.ready()
        var running = true
        while running {
            let now = Self.now()
            if now >= nextStatus {
                notify.status(statistics())
                nextStatus = now + 5
            }
            if let path = config.metricsTextfile, now >= nextMetrics {
                if !Metrics.write(Metrics.text(snapshot()), to: path) { Log.warning("cannot write metrics to \(path)") }
                nextMetrics = now + config.metricsIntervalSeconds
            }
            if let interval = notify.watchdogInterval, now >= nextWatchdog {
                notify.watchdog()
                nextWatchdog = now + Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
            }
            var descriptor = pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)
            _ = unsafe poll(&descriptor, 1, 250)
            for signal in signals.pending() {
                switch signal {
                case SIGTERM, SIGINT: running = false
                case SIGHUP: reload()
                case SIGUSR1: Log.info(statistics(), id: JournalMessageID.stats)
                default: break
                }
            }
            interfaces.tick(now: Self.now())
        }
        notify.stopping()
        Log.info("mitmwatch stopping: \(statistics())", id: JournalMessageID.stopping)
        pool.stop()
        if let path = config.metricsTextfile { Metrics.write(Metrics.text(snapshot()), to: path) }
    }

    /// Reads the config file again; an invalid one is rejected and the old one kept.
    private func reload() {
        outputs.reopen()
        guard let path = configPath else {
            Log.info("SIGHUP: logs reopened (no config file to reload)")
            return
        }
        notify.reloading()
        defer { notify.ready() }
        do {
            let fresh = overrides(try DaemonConfig.load(path: path))
            let prepared = try Self.detectionSetup(fresh).prepare()
            detection.publish(prepared)
            outputs.setIndicators(prepared.indicators)
            outputs.apply(fresh)
            interfaces.apply(fresh)
            if fresh.capture.workers != config.capture.workers || fresh.capture.method != config.capture.method {
                Log.warning("capture.workers and capture.method take effect at the next start; "
                    + "still \(config.capture.workers) worker(s), method \(config.capture.method.rawValue)")
            }
            var kept = fresh
            kept.capture.workers = config.capture.workers
            kept.capture.method = config.capture.method
            config = kept
            Log.info("configuration reloaded from \(path)", id: JournalMessageID.configReloaded)
        } catch {
            Log.error("configuration \(path) rejected, keeping the running one: \(error)", id: JournalMessageID.configRejected)
        }
    }

    func snapshot() -> Metrics.Snapshot {
        let counts = outputs.counts
        return Metrics.Snapshot(workers: pool.snapshots, alertsByRule: counts.alertsByRule,
                                alertsSuppressed: counts.suppressed, logWriteFailures: counts.logFailures)
    }

    func statistics() -> String {
        let snapshot = snapshot()
        let counters = snapshot.counters
        let kernelDrops = snapshot.kernel.values.reduce(0) { $0 + $1.dropped }
        let counts = outputs.counts
        return "packets \(counters[.packets]), tls sessions \(counters[.tlsSessions]), certificates \(counters[.certificates]), "
            + "alerts \(counts.alerts) (suppressed \(counts.suppressed)), flows active \(snapshot.activeFlows), "
            + "kernel drops \(kernelDrops), log write failures \(counts.logFailures)"
    }

    static func now() -> Double {
        var time = timespec()
        _ = unsafe clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
