import Certificates
import Detector
import OpenSSLBridge
import Sniffer

/// A probe's connection as a session record: what mitmwatch offered (its ClientHello), what the
/// server chose (its ServerHello, as libssl reports it), the stapled OCSP response, the endpoints
/// and the times — so the rules judge it, and the records show it, as a passive session.
enum ProbeSession {
    /// A completed probe judged: its session, its chain through `rules` as a captured chain goes,
    /// and why it was made — the one way `mitmwatch probe` and the daemon's follow-ups report.
    static func report(_ result: TLSProbeResult, request: TLSProbeRequest, id: UInt64, trigger: ProbeDetails.Trigger,
                       triggeringSession: UInt64? = nil, rules: inout RuleSet,
                       cache: inout CertificateCache) -> SessionReport {
        let session = session(result, id: id, request: request)
        let details = ProbeDetails(trigger: trigger, offeredVersions: request.versions.offered, negotiatedALPN: result.alpn,
                                   triggeringSession: triggeringSession)
        return rules.reportFetched(result.chain, session: session, at: session.end, cache: &cache, probe: details)
    }

    static func session(_ result: TLSProbeResult, id: UInt64, request: TLSProbeRequest) -> TLSSession {
        let client = Endpoint(address: HostAddress.parse(result.localHost) ?? IPAddress(high: 0, low: 0),
                              port: result.localPort)
        let server = Endpoint(address: HostAddress.parse(result.remoteHost) ?? IPAddress(high: 0, low: 0),
                              port: result.remotePort)
        var session = TLSSession(id: id, start: timestamp(result.started), end: timestamp(result.finished),
                                 client: client, server: server)
        session.rolesDecidedBy = .probe
        session.clientHellos = [ClientHello(offering: offered(request.versions), serverName: request.serverName,
                                            alpn: request.alpn)]
        session.serverHello = ServerHello(negotiated: TLSVersion(rawValue: result.protocolVersion),
                                          cipherSuite: result.cipherSuite, keyShareGroup: result.group,
                                          sctCount: result.extensionSCTs > 0 ? result.extensionSCTs : nil)
        session.ocspResponse = result.ocspResponse
        session.ocspStapled = result.ocspResponse != nil
        session.serverCertificateMessages = 1
        session.endedBy = .handshakeComplete
        return session
    }

    /// The versions a probe's hello offers, newest first (as `supported_versions` lists them).
    static func offered(_ versions: TLSProbeVersions) -> [TLSVersion] {
        switch versions {
        case .tls12: [.tls12]
        case .tls13: [.tls13]
        case .any: [.tls13, .tls12]
        }
    }


    static func timestamp(_ unixSeconds: Double) -> Timestamp {
        let whole = unixSeconds.rounded(.down)
        return Timestamp(seconds: Int64(whole), nanoseconds: Int64((unixSeconds - whole) * 1e9))
    }
}
