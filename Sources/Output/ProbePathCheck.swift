import Certificates
import Sniffer

/// Whether passive capture saw one of the prober's own TLS 1.2 handshakes (a watch-list probe):
/// proof that the sensor sees the path the probe took, or a sign that it does not.
public struct ProbePathCheck: Sendable {
    public var serverName: String?
    public var server: Endpoint
    /// The probe's own end of the connection.
    public var client: Endpoint
    /// The probe's session (`mitmwatch.session_id` of its record).
    public var probeSessionID: UInt64
    /// The leaf the probe was shown.
    public var probeLeaf: CertificateFingerprint?
    /// Capture's session of the same connection, if it reported one in time.
    public var passiveSessionID: UInt64?
    /// The leaf capture saw in that session (nil: it could not see the chain).
    public var passiveLeaf: CertificateFingerprint?
    public var passiveUnobservedReason: String?
    /// How long capture was given to report the session.
    public var waitedSeconds: Double
    public var at: Timestamp

    public init(serverName: String?, server: Endpoint, client: Endpoint, probeSessionID: UInt64,
                probeLeaf: CertificateFingerprint?, waitedSeconds: Double, at: Timestamp) {
        self.serverName = serverName
        self.server = server
        self.client = client
        self.probeSessionID = probeSessionID
        self.probeLeaf = probeLeaf
        self.waitedSeconds = waitedSeconds
        self.at = at
    }

    public var seen: Bool { passiveSessionID != nil }
    /// Capture read the same leaf the probe was shown.
    public var chainMatches: Bool { passiveLeaf != nil && passiveLeaf == probeLeaf }

    /// In words, for the journal.
    public var sentence: String {
        let name = serverName ?? "(no SNI)"
        guard let passiveSessionID else {
            return "passive capture did not see this gateway's own TLS 1.2 probe of \(name) at \(server) "
                + "(from \(client)) within \(Int(waitedSeconds)) s: the capture interfaces may not carry the path to it"
        }
        let chain = chainMatches ? "and read the same leaf certificate"
            : passiveLeaf == nil ? "but could not read its chain (\(passiveUnobservedReason ?? "not observed"))"
            : "but read a different leaf certificate"
        return "passive capture saw this gateway's own TLS 1.2 probe of \(name) at \(server) as session \(passiveSessionID) \(chain)"
    }

    /// `event.dataset: mitmwatch.probe`, `event.action: probe-path-check`, outcome success when
    /// capture saw the handshake.
    public func write(into json: inout JSONBuffer) {
        json.beginRecord()
        json.field("@timestamp", timestamp: at)
        json.field("message", sentence)
        json.member(seen
            ? #""event":{"kind":"event","category":["network"],"type":["connection"],"dataset":"mitmwatch.probe","action":"probe-path-check","outcome":"success"}"#
            : #""event":{"kind":"event","category":["network"],"type":["connection"],"dataset":"mitmwatch.probe","action":"probe-path-check","outcome":"failure"}"#)
        json.beginObject("source")
        json.field("ip", ipAddress: client.address)
        json.field("port", Int(client.port))
        json.endObject()
        json.probeTarget(address: server.address, port: server.port, serverName: serverName)
        json.beginObject("mitmwatch")
        json.field("session_id", probeSessionID)
        json.field("observation", "probe")
        json.beginObject("probe")
        json.field("trigger", "watchlist")
        json.field("offered_versions", ["1.2"])
        json.field("passive_seen", seen)
        json.field("passive_session_id", passiveSessionID)
        if seen {
            json.field("passive_chain_observed", passiveLeaf != nil)
            json.field("passive_chain_matches", chainMatches)
        }
        json.endObject()
        json.endObject()
        json.endRecord()
    }
}
