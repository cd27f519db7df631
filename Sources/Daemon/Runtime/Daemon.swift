import CLinux
import Detector
import Sniffer
import Synchronization

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
    private let prober: ProbeThread
    /// `metrics.listen` (nil: not configured).
    private let listener: MetricsListener?
    /// The history rules' memory (nil without a store).
    private let history: HistoryRules?
    private let interfaces: CaptureInterfaces
    private let signals: SignalDescriptor
    private let notify = SystemdNotify()
    private var nextStatus = 0.0
    private var nextWatchdog = 0.0
    private var nextMetrics = 0.0
    /// When `metrics.listen`'s text is next refreshed (every second).
    private var nextPublished = 0.0
    private var nextDedupSave = Daemon.now() + DaemonStore.dedupSaveSeconds
    private var reloadLog = ReloadLog()
    private var reloadsApplied = 0
    private var reloadsRejected = 0
    /// The capture.workers/method a reload asked for and was told take effect at the next start.
    private var deferredCaptureSaid: (workers: Int, method: DaemonConfig.CaptureMethod)?
    private var metricsWriteFailures = 0
    private var metricsFailing = false

    struct StartError: Error, CustomStringConvertible { var description: String }

    init(config: DaemonConfig, configPath: String?, overrides: @escaping (DaemonConfig) -> DaemonConfig) throws {
        self.config = config
        self.configPath = configPath
        self.overrides = overrides
        // A reader of stdout or stderr that went away (the pipe to a logger that died) makes those
        // writes fail with EPIPE — ignored: alerts still go to the journal and the JSON log —
        // instead of killing the daemon with SIGPIPE.
        _ = signal(SIGPIPE, SIG_IGN)
        // A stdout or stderr socket whose reader stalls (journald's stream, under systemd) must not
        // stall capture either: lines that find no room within a few ms are dropped and counted.
        StandardStreams.neverBlockOnSockets.store(true, ordering: .relaxed)
        // Blocks the signals on this thread before any other exists: the workers inherit the mask,
        // so signals are only ever read here, from the descriptor.
        guard let signals = SignalDescriptor() else { throw StartError(description: "cannot set up signal handling") }
        self.signals = signals
        // Kept even when journald is not there yet: the first entry it cannot take is reported
        // (once) and alerts go to stderr until it can; a journald that starts later is used.
        Log.useJournal(config.journal)
        outputs = SharedOutputs(config: config, store: DaemonStore.start(config.state))
        DaemonStore.restoreDedup(config.state, into: outputs, now: Self.wallClock())
        // One history for the daemon's life, across reloads; only with a store.
        history = config.state.enabled
            ? HistorySeed.rulesForDaemon(location: config.state.location, settings: config.history, say: { Log.warning($0) })
            : nil
        var prepared = try Self.detectionSetup(config).prepare()
        prepared.history = history
        detection = DetectionBroadcast(prepared)
        outputs.setIndicators(prepared.indicators)
        pool = WorkerPool(count: config.capture.workers)
        prober = ProbeThread(config.probe)
        interfaces = CaptureInterfaces(config: config, pool: pool)
        do throws(MetricsListener.StartError) {
            listener = try config.metricsListen.map { endpoint throws(MetricsListener.StartError) in try MetricsListener(endpoint) }
        } catch {
            throw StartError(description: error.description)
        }
    }

    static func detectionSetup(_ config: DaemonConfig) -> DetectionSetup {
        DetectionSetup(builtinIndicators: config.builtinIndicators, indicatorPaths: config.indicatorPaths,
                       trustStore: config.trustStore, untrustedScope: config.untrustedScope,
                       allowedInspectionCAs: config.allowInspectionCAs, untrustedChain: config.untrustedChain,
                       missingSCT: config.missingSCT, pins: config.pins, namesConfigKeys: true)
    }

    /// Runs until SIGTERM or SIGINT; returns after every worker has reported its open sessions.
    func run() throws {
        // Capture first, then privileges, then threads: a thread gets the credentials of the one
        // that creates it, so every worker starts with CAP_NET_RAW at most.
        interfaces.openAll()
        if let user = config.user {
            if let ids = PrivilegeDrop.ids(of: user) {
                outputs.handOver(to: ids)
                DaemonStore.handOver(config.state, to: ids)
            }
            do { try PrivilegeDrop.become(user) } catch { throw StartError(description: error.description) }
            Log.info("running as \(user) with CAP_NET_RAW only")
        }
        // After the switch: the store's thread needs no capability, and gets the daemon's user.
        outputs.store?.start()
        pool.start(limits: config.workerLimits, detection: detection, outputs: outputs, probes: prober.feed)
        // Always running, idle unless probe.follow_unobserved is on or probe.targets names servers
        // (a reload may change either).
        prober.start(detection: detection, outputs: outputs)
        listener?.start()
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
                writeMetrics(to: path)
                nextMetrics = now + config.metricsIntervalSeconds
            }
            if let listener, now >= nextPublished {
                listener.publish(Metrics.text(snapshot()))
                nextPublished = now + 1
            }
            if now >= nextDedupSave {
                DaemonStore.saveDedup(outputs)
                nextDedupSave = now + DaemonStore.dedupSaveSeconds
            }
            if let interval = notify.watchdogInterval, now >= nextWatchdog {
                notify.watchdog()
                nextWatchdog = now + Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
            }
            var descriptor = pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)
            _ = unsafe poll(&descriptor, 1, 250)
            // Several SIGHUPs read at once (a storm) make one reload: the file is read once, as it is now.
            var reloadDue = false
            for signal in signals.pending() {
                switch signal {
                case SIGTERM, SIGINT: running = false
                case SIGHUP: reloadDue = true
                case SIGUSR1: Log.info(statistics(), id: JournalMessageID.stats)
                default: break
                }
            }
            if reloadDue && running { reload() }
            interfaces.tick(now: Self.now())
            reloadLog.tick(now: Self.now())
        }
        reloadLog.tick(now: Self.now(), force: true)
        notify.stopping()
        Log.info("mitmwatch stopping: \(statistics())", id: JournalMessageID.stopping)
        prober.queue.stop()
        pool.stop()
        // A probe in flight ends by its own timeout.
        if !prober.stop(waiting: config.probe.timeoutSeconds + 2) {
            Log.warning("the probe in flight did not end in time; exiting without it")
        }
        // After every worker and the prober reported their last sessions.
        DaemonStore.saveDedup(outputs)
        if let store = outputs.store { DaemonStore.finish(store) }
        outputs.evidence?.drain()
        if let path = config.metricsTextfile { writeMetrics(to: path) }
        listener?.stop()
    }

    /// Writes the metrics textfile; a failure is counted and said once per failure spell (the
    /// file is tried again every interval).
    private func writeMetrics(to path: String) {
        if Metrics.write(Metrics.text(snapshot()), to: path) {
            if metricsFailing {
                metricsFailing = false
                Log.info("metrics \(path) written again", id: JournalMessageID.logWriteFailed)
            }
            return
        }
        let reason = Log.errorText(errno)
        metricsWriteFailures += 1
        if !metricsFailing {
            metricsFailing = true
            Log.warning("cannot write metrics to \(path): \(reason); trying again every "
                + "\(Int(config.metricsIntervalSeconds.rounded(.up))) s", id: JournalMessageID.logWriteFailed)
        }
    }

    /// Reads the config file again; an invalid one — unreadable, not JSON, a bad key or value, an
    /// indicator, trust store or pin file that does not load — is rejected and the old one kept,
    /// detection included. What happened is said through `reloadLog` (bounded under a storm) and
    /// counted (`mitmwatch_config_reloads_total{result}`).
    private func reload() {
        outputs.reopen()
        guard let path = configPath else {
            reloadsApplied += 1
            reloadLog.record(.init(text: "SIGHUP: logs reopened (no config file to reload)", applied: true,
                                   messageID: JournalMessageID.configReloaded), now: Self.now())
            return
        }
        notify.reloading()
        defer { notify.ready() }
        do {
            let fresh = overrides(try DaemonConfig.load(path: path))
            var prepared = try Self.detectionSetup(fresh).prepare()
            // The same memory with the reloaded thresholds (a store turned on by a reload waits for a restart).
            prepared.history = history.map { HistoryRules(book: $0.book, settings: fresh.history) }
            detection.publish(prepared)
            outputs.setIndicators(prepared.indicators)
            outputs.apply(fresh)
            prober.queue.apply(fresh.probe)
            interfaces.apply(fresh)
            Log.useJournal(fresh.journal)
            let asked = (workers: fresh.capture.workers, method: fresh.capture.method)
            if asked.workers != config.capture.workers || asked.method != config.capture.method {
                if deferredCaptureSaid.map({ $0.workers != asked.workers || $0.method != asked.method }) ?? true {
                    Log.warning("capture.workers and capture.method take effect at the next start; "
                        + "still \(config.capture.workers) worker(s), method \(config.capture.method.rawValue)")
                }
                deferredCaptureSaid = asked
            } else {
                deferredCaptureSaid = nil
            }
            if fresh.metricsListen != config.metricsListen {
                Log.warning("metrics.listen and state.* take effect at the next start; still serving "
                    + (config.metricsListen.map(\.description) ?? "nothing"))
            }
            if fresh.evidence != config.evidence {
                Log.warning("evidence.* takes effect at the next start; still "
                    + (config.evidence.enabled ? "writing bundles to \(config.evidence.dir)" : "writing no bundles"))
            }
            var kept = fresh
            kept.evidence = config.evidence
            kept.capture.workers = config.capture.workers
            kept.capture.method = config.capture.method
            kept.metricsListen = config.metricsListen
            config = kept
            reloadsApplied += 1
            reloadLog.record(.init(text: "configuration reloaded from \(path)", applied: true,
                                   messageID: JournalMessageID.configReloaded), now: Self.now())
        } catch {
            reloadsRejected += 1
            // The config's own errors start with "config PATH: "; the path is said once.
            var reason = "\(error)"
            if reason.hasPrefix("config \(path): ") { reason.removeFirst("config \(path): ".count) }
            reloadLog.record(.init(text: "configuration \(path) rejected, keeping the running one: \(reason)", applied: false,
                                   messageID: JournalMessageID.configRejected), now: Self.now())
        }
    }

    func snapshot() -> Metrics.Snapshot {
        let counts = outputs.counts
        return Metrics.Snapshot(workers: pool.snapshots, alertsByRule: counts.alertsByRule,
                                alertsSuppressed: counts.suppressed, logWriteFailures: counts.logFailures,
                                journalSendFailures: Log.journalSendFailureCount,
                                streamWriteFailures: (StandardStreams.stdoutFailures.load(ordering: .relaxed),
                                                      StandardStreams.stderrFailures.load(ordering: .relaxed)),
                                metricsWriteFailures: metricsWriteFailures,
                                configReloads: (applied: reloadsApplied, rejected: reloadsRejected),
                                interfaces: interfaces.health, probes: prober.queue.counts,
                                store: outputs.store?.counters, scrapes: listener?.answered,
                                evidence: outputs.evidence?.directory.counts)
    }

    func statistics() -> String {
        let snapshot = snapshot()
        let counters = snapshot.counters
        let kernelDrops = snapshot.kernel.values.reduce(0) { $0 + $1.dropped }
        let counts = outputs.counts
        return "packets \(counters[.packets]), tls sessions \(counters[.tlsSessions]), certificates \(counters[.certificates]), "
            + "alerts \(counts.alerts) (suppressed \(counts.suppressed)), flows active \(snapshot.activeFlows), "
            + "kernel drops \(kernelDrops), log write failures \(counts.logFailures), "
            + "journal send failures \(snapshot.journalSendFailures)"
    }

    /// The time of day (the deduplication state is kept in capture time, which is wall time live).
    static func wallClock() -> Timestamp {
        var time = timespec()
        _ = unsafe clock_gettime(CLOCK_REALTIME, &time)
        return Timestamp(seconds: Int64(time.tv_sec), nanoseconds: Int64(time.tv_nsec))
    }

    static func now() -> Double {
        var time = timespec()
        _ = unsafe clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
