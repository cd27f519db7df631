import Certificates
import Detector
import OpenSSLBridge
import Output
import Sniffer

/// The daemon's probes, whatever asked for them (a passive session, the watch list): connects,
/// judges the chain with the detection setup in force — as a captured chain is judged — and
/// reports it to the journal and JSON log like a passive session. Lives on the prober thread.
struct ProbeRunner {
    private let detection: DetectionBroadcast
    let outputs: SharedOutputs
    let counts: FollowUpQueue
    private var generation: Int
    private var rules: RuleSet
    private var certificates = CertificateCache()
    /// Local ends of the latest probes, so capture's view of them is not followed up in turn.
    private var ownEnds: [Endpoint] = []
    private var ownEndsNext = 0
    private var nextID: UInt64 = 0
    /// (server, SNI) located recently: at most once per `probe.cache_seconds` each.
    private var located = FollowUpCache(capacity: 4096)

    static let ownEndsKept = 256
    /// Probe session ids are counted from here: capture numbers its sessions from 1.
    static let firstSessionID: UInt64 = 1 << 62

    init(detection: DetectionBroadcast, outputs: SharedOutputs, counts: FollowUpQueue) {
        self.detection = detection
        self.outputs = outputs
        self.counts = counts
        let (generation, prepared) = detection.latest()
        self.generation = generation
        rules = RuleSet(prepared)
    }

    func isOwn(_ client: Endpoint) -> Bool { ownEnds.contains(client) }

    /// One probe: on success the report, already written to the outputs and counted.
    mutating func probe(_ request: TLSProbeRequest, trigger: ProbeDetails.Trigger, triggeringSession: UInt64? = nil)
        -> Result<(report: SessionReport, result: TLSProbeResult), TLSProbeError> {
        if let fresh = detection.newer(than: generation) {
            generation = fresh.generation
            rules = RuleSet(fresh.detection)
        }
        switch TLSProbe.run(request) {
        case .success(let result):
            if let local = HostAddress.parse(result.localHost) { remember(Endpoint(address: local, port: result.localPort)) }
            nextID += 1
            let report = ProbeSession.report(result, request: request, id: Self.firstSessionID + nextID, trigger: trigger,
                                             triggeringSession: triggeringSession, rules: &rules, cache: &certificates)
            outputs.report(report)
            counts.countProbe(trigger, completed: true)
            locateIfAlerted(report, request: request)
            return .success((report, result))
        case .failure(let error):
            counts.countProbe(trigger, completed: false)
            return .failure(error)
        }
    }

    /// After a high or critical alert (`probe.locate`): the handshake again at TTL 1, 2, … to find
    /// how far the interceptor is; its record follows the alert, written in the meantime.
    private mutating func locateIfAlerted(_ report: SessionReport, request: TLSProbeRequest) {
        let settings = counts.settings
        guard settings.locate, report.findings.contains(where: { $0.severity == .high || $0.severity == .critical }) else { return }
        let key = FollowUpKey(server: report.session.server, serverName: request.serverName)
        let now = Daemon.now()
        guard !located.isFresh(key, now: now, seconds: settings.cacheSeconds) else { return }
        located.record(key, now: now, seconds: settings.cacheSeconds)
        var limits = InterceptorLocator.Limits()
        limits.maxHops = settings.maxHops
        limits.tryTimeoutSeconds = min(limits.tryTimeoutSeconds, settings.timeoutSeconds)
        let location = InterceptorLocator.locate(after: report, request: request, limits: limits)
        var json = JSONBuffer()
        InterceptorLocationRecord.write(location, into: &json)
        var fields = [("MITMWATCH_OBSERVATION", "probe"), ("MITMWATCH_PROBE_TRIGGER", location.trigger.rawValue),
                      ("MITMWATCH_SERVER", location.server.description), ("MITMWATCH_SERVER_NAME", location.serverName ?? ""),
                      ("MITMWATCH_SESSION_ID", String(location.probeSession))]
        if let hops = location.hops { fields.append(("MITMWATCH_INTERCEPTOR_HOPS", String(hops))) }
        outputs.probeEvent(json, sentence: InterceptorLocationRecord.text(location), messageID: JournalMessageID.interceptorLocated,
                           fields: fields, warning: location.hops != nil)
        counts.countLocation(found: location.hops != nil)
    }

    private mutating func remember(_ end: Endpoint) {
        if ownEnds.count < Self.ownEndsKept {
            ownEnds.append(end)
        } else {
            ownEnds[ownEndsNext] = end
            ownEndsNext = (ownEndsNext + 1) % Self.ownEndsKept
        }
    }
}
