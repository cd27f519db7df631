import Foundation
import OpenSSLBridge
import Output
import Sniffer

/// `probe.targets`: probes each watched name every `probe.interval_seconds`, offering TLS 1.3 and,
/// separately, TLS 1.2 only. Each chain is judged and reported like any probe's; a probe that
/// cannot complete (name not resolved, refused, timed out — itself a sign of blocking) is a
/// `mitmwatch.probe` failure record each time and a line in the journal when it starts failing.
/// After a TLS 1.2 probe, waits for passive capture's report of the same connection and says
/// whether the sensor saw it (`probe-path-check`).
struct WatchListProber {
    private let queue: FollowUpQueue
    private let sightings: PathSightings
    private var list: [WatchTarget] = []
    private var interval: Double = 0
    private var schedule: WatchSchedule
    private var pending: [PendingCheck] = []
    /// Jobs whose last probe failed (said when they start failing, and when they recover).
    private var failing = Set<String>()

    /// How long capture is given to report a probe's own connection: it ends with the probe's
    /// FIN, so a capture that sees the path reports it well within this.
    static let pathCheckSeconds = 10.0

    private struct PendingCheck {
        var check: ProbePathCheck
        var deadline: Double
    }

    init(queue: FollowUpQueue, sightings: PathSightings, now: Double) {
        self.queue = queue
        self.sightings = sightings
        schedule = WatchSchedule(targets: [], interval: 900, now: now)
    }

    /// A new list or interval starts a new schedule (at once); the same ones keep theirs.
    mutating func apply(_ settings: DaemonConfig.Probe, now: Double) {
        guard settings.watchList != list || settings.intervalSeconds != interval else { return }
        list = settings.watchList
        interval = settings.intervalSeconds
        failing.removeAll()
        schedule = WatchSchedule(targets: list, interval: interval, now: now)
        if !list.isEmpty {
            Log.info("watch list: \(list.count) name\(list.count == 1 ? "" : "s"), each probed offering TLS 1.3 and "
                + "TLS 1.2 only every \(Int(interval)) s")
        }
    }

    /// When the prober should look again: the next job or the next path check's deadline.
    var nextWake: Double? {
        [schedule.nextDue, pending.map(\.deadline).min()].compactMap { $0 }.min()
    }

    /// Runs the job due at `now`, if one is; true when it ran one.
    mutating func runDue(now: Double, runner: inout ProbeRunner) -> Bool {
        guard let job = schedule.take(now: now) else { return false }
        let settings = queue.settings
        let jobName = "\(job.target) (TLS \(job.versions == .tls12 ? "1.2 only" : "1.3"))"
        var request = TLSProbeRequest(host: job.target.connect.host, port: job.target.connect.port,
                                      serverName: job.target.serverName)
        request.versions = job.versions
        request.timeoutSeconds = settings.timeoutSeconds
        request.sourceAddress = settings.sourceAddress
        if !job.target.connect.isAddress {
            do {
                request.host = try HostAddress.resolve(job.target.connect.host)[0]
            } catch {
                queue.countProbe(.watchlist, completed: false)
                failed(job, name: jobName, request: request, kind: "resolve-failed", detail: error.description, runner: runner)
                return true
            }
        }
        let server = HostAddress.parse(request.host).map { Endpoint(address: $0, port: request.port) }
        let checksPath = job.versions == .tls12 && server != nil
        if checksPath, let server { sightings.expect(server) }
        switch runner.probe(request, trigger: .watchlist) {
        case .success(let probe):
            if failing.remove(jobName) != nil { Log.info("watch-list probe of \(jobName) completes again") }
            guard checksPath, let server else { return true }
            let client = Endpoint(address: HostAddress.parse(probe.result.localHost) ?? IPAddress(high: 0, low: 0),
                                  port: probe.result.localPort)
            let check = ProbePathCheck(serverName: job.target.serverName, server: server, client: client,
                                       probeSessionID: probe.report.session.id,
                                       probeLeaf: probe.report.session.serverChain?.fingerprints.first,
                                       waitedSeconds: Self.pathCheckSeconds, at: probe.report.session.end)
            pending.append(PendingCheck(check: check, deadline: Daemon.now() + Self.pathCheckSeconds))
        case .failure(let error):
            if checksPath, let server { sightings.stopExpecting(server) }
            failed(job, name: jobName, request: request, kind: error.kind.rawValue, detail: error.detail, runner: runner)
        }
        return true
    }

    /// Reports the path checks whose sighting came, or whose time is up.
    mutating func finishPathChecks(now: Double, outputs: SharedOutputs) {
        guard !pending.isEmpty else { return }
        var still: [PendingCheck] = []
        for var entry in pending {
            if let sighting = sightings.take(client: entry.check.client) {
                entry.check.passiveSessionID = sighting.sessionID
                entry.check.passiveLeaf = sighting.leaf
                entry.check.passiveUnobservedReason = sighting.unobservedReason
            } else if now < entry.deadline {
                still.append(entry)
                continue
            }
            sightings.stopExpecting(entry.check.server)
            queue.countPathCheck(seen: entry.check.seen)
            var json = JSONBuffer()
            entry.check.write(into: &json)
            outputs.probeEvent(json, sentence: entry.check.sentence, messageID: JournalMessageID.probePathCheck,
                               fields: [("MITMWATCH_OBSERVATION", "probe"), ("MITMWATCH_PROBE_TRIGGER", "watchlist"),
                                        ("MITMWATCH_PROBE_PASSIVE_SEEN", entry.check.seen ? "1" : "0"),
                                        ("MITMWATCH_SERVER_NAME", entry.check.serverName ?? "")],
                               warning: !entry.check.seen)
        }
        pending = still
    }

    private mutating func failed(_ job: WatchSchedule.Job, name: String, request: TLSProbeRequest, kind: String,
                                 detail: String, runner: ProbeRunner) {
        let sentence = "watch-list probe of \(name) could not complete: \(kind): \(detail)"
        var json = JSONBuffer()
        ProbeFailureRecord.write(target: job.target.description, address: HostAddress.parse(request.host),
                                 port: request.port, serverName: request.serverName,
                                 offeredVersions: request.versions.offered, kind: kind, detail: detail,
                                 at: ProbeSession.timestamp(Date().timeIntervalSince1970), trigger: .watchlist, into: &json)
        // Every failure is a record (a name that stops answering may be blocked); the journal
        // hears when a job starts failing, not every interval after.
        if failing.insert(name).inserted {
            runner.outputs.probeEvent(json, sentence: sentence, messageID: JournalMessageID.watchProbeFailed,
                                      fields: [("MITMWATCH_OBSERVATION", "probe"), ("MITMWATCH_PROBE_TRIGGER", "watchlist"),
                                               ("MITMWATCH_SERVER_NAME", job.target.serverName)],
                                      warning: true)
        } else {
            runner.outputs.writeEvent(json)
        }
    }
}
