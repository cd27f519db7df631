import Detector
import Output
import Sniffer
import Store
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where reports go — alerts (deduplicated) and, if asked, session records, to the JSON log and/or
/// stdout — and what went there: the deduplicator's state and the alert counts. Not thread-safe:
/// the daemon keeps it in `SharedOutputs`, which also makes the records and talks to the journal.
final class AlertOutputs {
    private var jsonLog: JSONLogFile?
    private var toStdout: Bool
    private var sessions: Bool
    private var deduplicator: AlertDeduplicator
    /// Whether alerts also go to the journal (said when the JSON log fails).
    private var journal: Bool
    /// Failed lines of JSON logs replaced on reload, so the count never goes back.
    private var retiredLogFailures: UInt64 = 0
    var indicators = IndicatorSet()
    /// `sensor.name`: every record says which sensor made it (`observer.name`).
    let sensor: String
    private(set) var alertCount = 0
    private(set) var alertsByRule: [String: Int] = [:]

    init(config: DaemonConfig) {
        toStdout = config.jsonLog.stdout
        sessions = config.jsonLog.sessions
        deduplicator = AlertDeduplicator(windowSeconds: config.dedupWindowSeconds)
        journal = config.journal
        sensor = config.state.sensor
        if let path = config.jsonLog.path { jsonLog = Self.openLog(path, journal: journal) }
    }

    var suppressedCount: Int { deduplicator.suppressedTotal }
    var logFailures: UInt64 { retiredLogFailures + (jsonLog?.failedWrites ?? 0) }

    private static func openLog(_ path: String, journal: Bool) -> JSONLogFile {
        let log = JSONLogFile(path: path, fallback: journal ? "the journal" : "stderr") { message in
            Log.warning(message, id: JournalMessageID.logWriteFailed)
        }
        return log
    }

    func apply(_ config: DaemonConfig) {
        toStdout = config.jsonLog.stdout
        sessions = config.jsonLog.sessions
        journal = config.journal
        if config.jsonLog.path != jsonLog?.path {
            // Failures of the log left behind stay counted: the metric never goes back.
            retiredLogFailures += jsonLog?.failedWrites ?? 0
            jsonLog = config.jsonLog.path.map { Self.openLog($0, journal: config.journal) }
        }
        jsonLog?.fallback = journal ? "the journal" : "stderr"
    }

    func reopen() { jsonLog?.reopen() }

    /// Gives the open log file to the user the daemon is about to become.
    func handOver(to ids: (uid: uid_t, gid: gid_t)) {
        if let path = jsonLog?.path { _ = unsafe chown(path, ids.uid, ids.gid) }
    }

    /// What to write for one finished session, decided in order under the lock; the records
    /// themselves are made outside it.
    struct Plan: Sendable {
        /// Findings to raise, with how many repeats were suppressed before each.
        var alerts: [(finding: Finding, suppressedBefore: Int)]
        var indicators: IndicatorSet
        var sessionRecord: Bool
        /// Whether JSON lines go anywhere (the JSON log or stdout).
        var json: Bool
        var sensor: String
    }

    /// Deduplicates the session's findings (one at a time, in the order sessions arrive).
    func plan(_ report: SessionReport) -> Plan {
        var alerts: [(finding: Finding, suppressedBefore: Int)] = []
        for finding in report.findings {
            let decision = deduplicator.admit(finding, report.session, observation: report.observation)
            if decision.emit { alerts.append((finding, decision.suppressedBefore)) }
        }
        return Plan(alerts: alerts, indicators: indicators, sessionRecord: sessions, json: jsonLog != nil || toStdout,
                    sensor: sensor)
    }

    func dedupState() -> [(key: String, lastEmittedNanoseconds: Int64, suppressed: Int)] { deduplicator.saved() }
    func restoreDedup(_ entries: [(key: String, lastEmittedNanoseconds: Int64, suppressed: Int)], now: Timestamp) {
        deduplicator.restore(entries, now: now)
    }

    /// Writes an event's JSON line (not a session, not an alert: nothing to count).
    func writeEvent(_ line: [UInt8]) {
        guard !line.isEmpty else { return }
        if let jsonLog { jsonLog.write(lines: line) }
        if toStdout { StandardStreams.write(line) }
    }

    /// Writes a session's JSON lines (one write to each output), then counts the alerts among them.
    func write(_ lines: [UInt8], alerts: [Rule]) {
        if !lines.isEmpty {
            if let jsonLog { jsonLog.write(lines: lines) }
            if toStdout { StandardStreams.write(lines) }
        }
        for rule in alerts {
            alertCount += 1
            alertsByRule[rule.rawValue, default: 0] += 1
        }
    }
}

/// The daemon's one `AlertOutputs`, shared by the capture threads (which report sessions) and
/// the main thread (reload, reopen, metrics) behind a lock. Sessions end far less often than
/// packets arrive, and alerts are rarer still, so the lock is not on the per-packet path; it
/// also keeps deduplication decisions one at a time, in the order alerts are produced.
final class SharedOutputs: Sendable {
    private let outputs: Mutex<AlertOutputs>
    /// The observation store's sink (`state.*`), nil when it is off.
    let store: ObservationSink?
    /// Where evidence bundles go (`evidence.*`), nil when they are off.
    let evidence: EvidenceWriter?

    init(config: DaemonConfig, store: ObservationSink? = nil) {
        outputs = Mutex(AlertOutputs(config: config))
        self.store = store
        evidence = config.evidence.enabled
            ? EvidenceWriter(directory: EvidenceDirectory(path: config.evidence.dir, maxBytes: config.evidence.maxBytes),
                             sensor: config.state.sensor, say: { Log.warning($0) })
            : nil
    }

    /// A finished session: its findings are deduplicated under the lock, the records are made
    /// outside it (formatting an alert costs far more than deciding on it, and several capture
    /// threads may be reporting), the journal gets each alert, then the session's JSON lines are
    /// written (one write per output, right away: nothing waits in a buffer) and counted under
    /// the lock. Without a journal, alerts go to stderr in words.
    func report(_ report: SessionReport) {
        // Every report, capture's and the prober's, becomes history: folded in memory (O(1)
        // under the sink's own lock), written later by the store's thread.
        store?.record(report)
        let plan = outputs.withLock { $0.plan(report) }
        guard plan.sessionRecord || !plan.alerts.isEmpty else { return }
        // The bundle is queued (its folder named) before the alerts that name it go out; its
        // alert.json holds the very lines the outputs get.
        var folder = plan.alerts.isEmpty ? nil : evidence?.reserve(report.session)
        var alerts = JSONBuffer(capacity: plan.json || folder != nil ? 4096 : 0)
        func renderAlerts() {
            for (finding, suppressedBefore) in plan.alerts {
                AlertRecord.write(finding, report: report, indicators: plan.indicators, includeChain: false,
                                  suppressedBefore: suppressedBefore, evidence: folder, sensor: plan.sensor, into: &alerts)
            }
        }
        if plan.json || folder != nil { renderAlerts() }
        if let reserved = folder, let evidence,
           !evidence.submit(report, alertLines: alerts.bytes, to: reserved, wait: false) {
            folder = nil
            alerts.removeAll()
            if plan.json { renderAlerts() }
        }
        var lines = JSONBuffer(capacity: plan.json ? 4096 : 0)
        if plan.sessionRecord && plan.json { SessionRecord.write(report, sensor: plan.sensor, into: &lines) }
        if plan.json { lines.append(records: alerts) }
        let journal = !plan.alerts.isEmpty && Log.hasJournal
        for (finding, _) in plan.alerts {
            // Not taken by the journal (none configured, unreachable, or its queue full even after
            // the writer's wait): in words on stderr, so the alert is never lost.
            if !journal || Log.toJournal(JournalWriter.alertFields(finding, report: report, indicators: plan.indicators,
                                                                   evidence: folder, sensor: plan.sensor)) != true {
                Log.alert(AlertRecord.text(finding, report: report, indicators: plan.indicators)
                    + (folder.map { " (evidence \($0))" } ?? ""))
            }
        }
        let rules = plan.alerts.map(\.finding.rule)
        outputs.withLock { $0.write(lines.bytes, alerts: rules) }
    }

    /// A probe's event that is not a session (a failure, a path check): its sentence to stderr and
    /// the journal with `fields`, its JSON line to the JSON log and stdout.
    func probeEvent(_ json: JSONBuffer, sentence: String, messageID: String, fields: [(String, String)], warning: Bool) {
        Log.event(sentence, priority: warning ? JournalPriority.warning : JournalPriority.info, id: messageID, extra: fields)
        outputs.withLock { $0.writeEvent(json.bytes) }
    }

    /// The deduplicator's state, to save in the store.
    func dedupState() -> [(key: String, lastEmittedNanoseconds: Int64, suppressed: Int)] {
        outputs.withLock { $0.dedupState() }
    }

    /// State saved by an earlier run (at start).
    func restoreDedup(_ entries: [(key: String, lastEmittedNanoseconds: Int64, suppressed: Int)], now: Timestamp) {
        outputs.withLock { $0.restoreDedup(entries, now: now) }
    }

    /// An event's JSON line alone (said in words before, or not worth saying again).
    func writeEvent(_ json: JSONBuffer) { outputs.withLock { $0.writeEvent(json.bytes) } }

    func apply(_ config: DaemonConfig) { outputs.withLock { $0.apply(config) } }
    func reopen() { outputs.withLock { $0.reopen() } }
    func handOver(to ids: (uid: uid_t, gid: gid_t)) { outputs.withLock { $0.handOver(to: ids) } }
    func setIndicators(_ indicators: IndicatorSet) { outputs.withLock { $0.indicators = indicators } }

    struct Counts: Sendable {
        var alerts: Int
        var alertsByRule: [String: Int]
        var suppressed: Int
        var logFailures: UInt64
    }

    var counts: Counts {
        outputs.withLock { Counts(alerts: $0.alertCount, alertsByRule: $0.alertsByRule, suppressed: $0.suppressedCount,
                                  logFailures: $0.logFailures) }
    }
}
