import CLinux
import Detector
import Sniffer
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `mitmwatch run`: live capture on the configured interfaces into one pipeline, alerts to the
/// JSON log (and stdout when asked), operational messages to stderr; signals handled between
/// packets (SIGHUP: reload the config and reopen logs; SIGTERM/SIGINT: flush and exit 0;
/// SIGUSR1: a statistics line). Interfaces that are missing or fail are retried with backoff.
final class Daemon {
    private var config: DaemonConfig
    private let configPath: String?
    private let overrides: (DaemonConfig) -> DaemonConfig
    private var pipeline: Pipeline<DetectionObserver>
    private let outputs: AlertOutputs
    private var captures: [String: LiveCapture] = [:]
    private var retries: [String: (at: Double, delay: Double)] = [:]
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
        guard let signals = SignalDescriptor() else { throw StartError(description: "cannot set up signal handling") }
        self.signals = signals
        if config.journal {
            let journal = JournalWriter()
            if journal.isAvailable { Log.journal.withLock { $0 = journal } }
        }
        let outputs = AlertOutputs(config: config)
        self.outputs = outputs
        let detection = try Self.detectionSetup(config).build()
        let observer = DetectionObserver(indicators: detection.indicators, chainJudge: detection.judge,
                                         transparencyValidator: detection.transparencyValidator) { report in
            outputs.report(report)
        }
        pipeline = Pipeline(limits: config.snifferLimits, observer: observer)
        outputs.indicators = detection.indicators
    }

    static func detectionSetup(_ config: DaemonConfig) -> DetectionSetup {
        DetectionSetup(builtinIndicators: config.builtinIndicators, indicatorPaths: config.indicatorPaths,
                       trustStore: config.trustStore, untrustedScope: config.untrustedScope,
                       allowedInspectionCAs: config.allowInspectionCAs, untrustedChain: config.untrustedChain,
                       missingSCT: config.missingSCT, pins: config.pins)
    }

    /// Runs until SIGTERM or SIGINT; returns after flushing every open session.
    func run() throws {
        for interface in config.interfaces { open(interface) }
        if let user = config.user {
            if let ids = PrivilegeDrop.ids(of: user) { outputs.handOver(to: ids) }
            do { try PrivilegeDrop.become(user) } catch { throw StartError(description: error.description) }
            Log.info("running as \(user) with CAP_NET_RAW only")
        }
        Log.info("mitmwatch started on \(config.interfaces.joined(separator: ", "))"
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
            var descriptors = [pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)]
            let order = captures.keys.sorted()
            for name in order { descriptors.append(pollfd(fd: captures[name]!.selectableDescriptor, events: Int16(POLLIN), revents: 0)) }
            _ = unsafe poll(&descriptors, nfds_t(descriptors.count), 250)
            for signal in signals.pending() {
                switch signal {
                case SIGTERM, SIGINT: running = false
                case SIGHUP: reload()
                case SIGUSR1: Log.info(statistics(), id: JournalMessageID.stats)
                default: break
                }
            }
            for name in order {
                guard let capture = captures[name] else { continue }
                let linkType = capture.linkType
                let result = capture.drain { frame, length, time in
                    pipeline.process(frame: frame, originalLength: length, linkType: linkType, at: time)
                }
                if case .failed(let reason) = result {
                    Log.warning("interface \(name) failed: \(reason); will retry", id: JournalMessageID.interfaceDown)
                    captures[name] = nil
                    retries[name] = (Self.now() + config.capture.retrySeconds, config.capture.retrySeconds)
                }
            }
            retryInterfaces()
        }
        notify.stopping()
        Log.info("mitmwatch stopping: \(statistics())", id: JournalMessageID.stopping)
        pipeline.finish()
        if let path = config.metricsTextfile { Metrics.write(Metrics.text(snapshot()), to: path) }
    }

    private func open(_ interface: String) {
        var settings = LiveCapture.Settings()
        settings.snaplen = Int32(config.capture.snaplen)
        settings.bufferSize = Int32(clamping: config.capture.bufferSizeMB << 20)
        settings.promiscuous = config.capture.promiscuous
        settings.filter = config.capture.bpfFilter
        do {
            captures[interface] = try LiveCapture(interface: interface, settings: settings)
            if retries.removeValue(forKey: interface) != nil {
                Log.info("interface \(interface) is back; capturing", id: JournalMessageID.interfaceUp)
            }
        } catch {
            let delay = min((retries[interface]?.delay ?? config.capture.retrySeconds / 2) * 2, config.capture.maxRetrySeconds)
            if retries[interface] == nil {
                Log.warning("\(error.description); retrying every \(Int(delay.rounded(.up))) s or more",
                            id: JournalMessageID.interfaceDown)
            }
            retries[interface] = (Self.now() + delay, delay)
        }
    }

    private func retryInterfaces() {
        let now = Self.now()
        for (interface, retry) in retries where retry.at <= now { open(interface) }
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
            let detection = try Self.detectionSetup(fresh).build()
            pipeline.observer.indicators = detection.indicators
            pipeline.observer.chainJudge = detection.judge
            pipeline.observer.transparencyValidator = detection.transparencyValidator
            outputs.indicators = detection.indicators
            outputs.apply(fresh)
            for interface in fresh.interfaces where captures[interface] == nil && retries[interface] == nil { open(interface) }
            for interface in config.interfaces where !fresh.interfaces.contains(interface) {
                captures[interface] = nil
                retries[interface] = nil
            }
            config = fresh
            Log.info("configuration reloaded from \(path)", id: JournalMessageID.configReloaded)
        } catch {
            Log.error("configuration \(path) rejected, keeping the running one: \(error)", id: JournalMessageID.configRejected)
        }
    }

    func snapshot() -> Metrics.Snapshot {
        var kernel: [String: (received: UInt64, dropped: UInt64, interfaceDropped: UInt64)] = [:]
        for (name, capture) in captures { kernel[name] = capture.kernelStatistics }
        return Metrics.Snapshot(counters: pipeline.counters, activeFlows: pipeline.activeFlows,
                                alertsByRule: outputs.alertsByRule, alertsSuppressed: outputs.suppressedCount,
                                logWriteFailures: outputs.logFailures, kernel: kernel)
    }

    func statistics() -> String {
        let counters = pipeline.counters
        var kernelDrops: UInt64 = 0
        for capture in captures.values { kernelDrops += capture.kernelStatistics?.dropped ?? 0 }
        return "packets \(counters[.packets]), tls sessions \(counters[.tlsSessions]), certificates \(counters[.certificates]), "
            + "alerts \(outputs.alertCount) (suppressed \(outputs.suppressedCount)), flows active \(pipeline.activeFlows), "
            + "kernel drops \(kernelDrops), log write failures \(outputs.logFailures)"
    }

    static func now() -> Double {
        var time = timespec()
        _ = unsafe clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// Where reports go: alerts (deduplicated) and, if asked, session records, to the JSON log and/or stdout.
final class AlertOutputs {
    private var jsonLog: JSONLogFile?
    private var toStdout: Bool
    private var sessions: Bool
    private var deduplicator: AlertDeduplicator
    var indicators = IndicatorSet()
    private(set) var alertCount = 0
    private(set) var alertsByRule: [String: Int] = [:]

    init(config: DaemonConfig) {
        toStdout = config.jsonLog.stdout
        sessions = config.jsonLog.sessions
        deduplicator = AlertDeduplicator(windowSeconds: config.dedupWindowSeconds)
        if let path = config.jsonLog.path { jsonLog = Self.openLog(path) }
    }

    var suppressedCount: Int { deduplicator.suppressedTotal }
    var logFailures: UInt64 { jsonLog?.failedWrites ?? 0 }

    private static func openLog(_ path: String) -> JSONLogFile {
        let log = JSONLogFile(path: path)
        log.onStateChange = { Log.warning($0, id: JournalMessageID.logWriteFailed) }
        return log
    }

    func apply(_ config: DaemonConfig) {
        toStdout = config.jsonLog.stdout
        sessions = config.jsonLog.sessions
        if config.jsonLog.path != jsonLog?.path { jsonLog = config.jsonLog.path.map(Self.openLog) }
    }

    func reopen() { jsonLog?.reopen() }

    /// Gives the open log file to the user the daemon is about to become.
    func handOver(to ids: (uid: uid_t, gid: gid_t)) {
        if let path = jsonLog?.path { _ = unsafe chown(path, ids.uid, ids.gid) }
    }

    func report(_ report: SessionReport) {
        if sessions { emit(SessionRecord.json(report.session, verdict: report.verdict)) }
        for finding in report.findings {
            let decision = deduplicator.admit(finding, report.session)
            guard decision.emit else { continue }
            // Written everywhere first, counted after: the journal gets every alert even when the
            // JSON log cannot be written; without a journal, stderr gets it in words.
            emit(AlertRecord.json(finding, report: report, indicators: indicators, includeChain: false,
                                  suppressedBefore: decision.suppressedBefore))
            let journal = Log.journal.withLock { $0 }
            if journal?.send(JournalWriter.alertFields(finding, report: report, indicators: indicators)) != true {
                Log.alert(AlertRecord.text(finding, report: report, indicators: indicators))
            }
            alertCount += 1
            alertsByRule[finding.rule.rawValue, default: 0] += 1
        }
    }

    private func emit(_ line: String) {
        if let jsonLog { jsonLog.write(line) }
        if toStdout { StandardStreams.writeLine(line) }
    }
}

/// Operational messages: readable lines on stderr, and structured entries in the journal when
/// one is reachable.
enum Log {
    static let journal = Mutex<JournalWriter?>(nil)

    static func info(_ text: String, id: String? = nil) { write(text, prefix: "", priority: JournalPriority.info, id: id) }
    static func warning(_ text: String, id: String? = nil) { write(text, prefix: "warning: ", priority: JournalPriority.warning, id: id) }
    static func error(_ text: String, id: String? = nil) { write(text, prefix: "error: ", priority: JournalPriority.error, id: id) }
    static func alert(_ text: String) { printToStandardError("mitmwatch: " + text) }

    private static func write(_ text: String, prefix: String, priority: Int, id: String?) {
        printToStandardError("mitmwatch: " + prefix + text)
        if let journal = journal.withLock({ $0 }) {
            journal.send(JournalWriter.operationalFields(message: text, priority: priority, messageID: id))
        }
    }
}
