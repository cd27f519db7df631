import Certificates
import Detector
import OpenSSLBridge
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
            return .success((report, result))
        case .failure(let error):
            counts.countProbe(trigger, completed: false)
            return .failure(error)
        }
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
