import Detector
import Sniffer
import Certificates

/// The ECS-named JSON record of one TLS session (`event.dataset: mitmwatch.tls`).
public enum SessionRecord {
    /// Appends the session's record as one line, its `verdict` the rules that fired in the report.
    /// `sensor`: the sensor that saw it (`observer.name`), when known.
    public static func write(_ report: SessionReport, sensor: String? = nil, into json: inout JSONBuffer) {
        write(report.session, verdict: .findings(report.findings), observation: report.observation,
              probe: report.probe, sensor: sensor, into: &json)
    }

    /// Appends the session's record as one line (`verdict` as given; left out when nil): a
    /// session the sniffer saw.
    public static func write(_ session: TLSSession, verdict: [String]? = nil, into json: inout JSONBuffer) {
        write(session, verdict: verdict.map { .ids($0) } ?? .none, observation: .passive, probe: nil, sensor: nil,
              into: &json)
    }

    private enum Verdict {
        case none
        case ids([String])
        case findings([Finding])
    }

    private static func write(_ session: TLSSession, verdict: Verdict, observation: Observation, probe: ProbeDetails?,
                              sensor: String?, into json: inout JSONBuffer) {
        json.beginRecord()
        json.field("@timestamp", timestamp: session.start)
        json.member(#""event":{"kind":"event","category":["network"],"type":["protocol"],"dataset":"mitmwatch.tls","start":"#)
        json.timestamp(session.start)
        json.appendStatic(#","end":"#)
        json.timestamp(session.end)
        json.appendByte(UInt8(ascii: "}"))
        endpoints(session, into: &json)
        observer(sensor, into: &json)
        json.beginObject("tls")
        tlsFields(session, into: &json)
        if let leaf = session.serverChain?.fingerprints.first {
            json.member(#""server":{"hash":{"sha256":"#)
            json.fingerprint(leaf)
            json.appendStatic("}}")
        }
        ObservationFields.nextProtocol(probe, into: &json)
        json.endObject()

        json.member(#""mitmwatch":{"session_id":"#)
        json.uint64(session.id)
        json.continueObject()
        ObservationFields.write(observation, probe: probe, into: &json)
        switch verdict {
        case .none: break
        case .ids(let ids): json.field("verdict", ids)
        case .findings(let findings): json.verdict(of: findings)
        }
        if let observed = session.serverChain {
            json.member(#""chain":{"observable":true"#)
            json.continueObject()
            json.field("unobserved_reason", session.unobservedReason?.rawValue)
            json.field("sha256", fingerprints: observed.fingerprints)
            json.field("length", observed.fingerprints.count)
            json.field("truncated", observed.isTruncated)
            if observed.isMalformed { json.member(#""malformed":true"#) }
            json.field("unparsable_positions", observed.unparsablePositions.isEmpty ? nil : observed.unparsablePositions)
        } else {
            json.member(#""chain":{"observable":false"#)
            json.continueObject()
            json.field("unobserved_reason", session.unobservedReason?.rawValue)
        }
        json.endObject()
        if let observed = session.clientChain {
            json.beginObject("client_chain")
            json.field("sha256", fingerprints: observed.fingerprints)
            json.field("truncated", observed.isTruncated)
            json.endObject()
        }
        handshakeFields(session, into: &json)
        json.field("roles_decided_by", session.rolesDecidedBy.rawValue)
        json.field("prelude_bytes", session.clientPreludeBytes > 0 ? session.clientPreludeBytes : nil)
        json.field("gaps", session.gaps > 0 ? session.gaps : nil)
        if session.overlapInconsistentBytes > 0 {
            json.beginObject("tcp")
            json.field("overlap_inconsistent_bytes", session.overlapInconsistentBytes)
            json.field("overlap_inconsistent_segments", session.overlapInconsistentSegments)
            json.endObject()
        }
        json.field("end_reason", session.endedBy.rawValue)
        json.endObject()
        json.endRecord()
    }

    /// `mitmwatch.tls`: what the hellos said.
    private static func handshakeFields(_ session: TLSSession, into json: inout JSONBuffer) {
        json.beginObject("tls")
        json.field("version_name", session.version?.name)
        if let hello = session.serverHello {
            json.field("cipher_suite", hex4: hello.cipherSuite)
            if let group = hello.keyShareGroup { json.field("key_share_group", hex4: group) }
            json.field("hello_retry_request", hello.isHelloRetryRequest ? true : nil)
            json.field("server_hello_malformed", hello.isMalformed ? true : nil)
        }
        if let hello = session.clientHellos.first {
            json.field("client_version", hello.legacyVersion.name)
            if !hello.supportedVersions.isEmpty {
                json.beginArray("client_supported_versions")
                for version in hello.supportedVersions { json.element(version.name) }
                json.endArray()
            }
            json.field("alpn", hello.alpn.isEmpty ? nil : hello.alpn)
            json.field("cipher_suites_offered", hello.cipherSuites.count)
            if !hello.keyShareGroups.isEmpty {
                json.beginArray("key_share_groups")
                for group in hello.keyShareGroups {
                    json.separate()
                    json.hex4(group)
                }
                json.endArray()
            }
            json.field("sslv2_client_hello", hello.isSSLv2Compatible ? true : nil)
            json.field("client_hello_malformed", hello.isMalformed ? true : nil)
        }
        // Two names need two hellos: the list is only made when there can be more than one.
        if session.clientHellos.count > 1 {
            let names = session.serverNames
            json.field("server_names", names.count > 1 ? names : nil)
        }
        json.field("client_hellos", session.clientHellos.count)
        json.field("certificate_requested", session.certificateRequested ? true : nil)
        json.field("ocsp_stapled", session.ocspStapled ? true : nil)
        json.endObject()
    }

    /// `source`, `destination` and `network` of a session (shared with alerts).
    /// `observer.name`: which sensor saw the session (several gateways shipping to one place).
    static func observer(_ sensor: String?, into json: inout JSONBuffer) {
        guard let sensor else { return }
        json.beginObject("observer")
        json.field("name", sensor)
        json.endObject()
    }

    static func endpoints(_ session: TLSSession, into json: inout JSONBuffer) {
        json.member(#""source":{"ip":"#)
        json.ipAddress(session.client.address)
        json.appendStatic(#","port":"#)
        json.uint64(UInt64(session.client.port))
        json.appendStatic(#"},"destination":{"ip":"#)
        json.ipAddress(session.server.address)
        json.appendStatic(#","port":"#)
        json.uint64(UInt64(session.server.port))
        json.appendStatic(#"},"network":{"transport":"tcp","protocol":"tls"}"#)
    }

    /// `tls.version`, `tls.version_protocol` and `tls.client.*` (shared with alerts).
    static func tlsFields(_ session: TLSSession, into json: inout JSONBuffer) {
        json.field("version", session.version?.ecsVersion)
        json.field("version_protocol", session.version?.ecsProtocol)
        json.beginObject("client")
        json.field("server_name", session.serverName)
        if let leaf = session.clientChain?.fingerprints.first {
            json.beginObject("hash"); json.field("sha256", fingerprint: leaf); json.endObject()
        }
        json.endObject()
    }

    /// One readable line for people.
    public static func text(_ session: TLSSession) -> String {
        var line = "\(session.start.rfc3339) \(session.client.description) -> \(session.server.description)"
        line += " \(session.version?.name ?? "version?")"
        line += " sni=\(session.serverName.map { $0.debugDescription } ?? "-")"
        if let chain = session.serverChain {
            line += " chain=\(chain.fingerprints.count)\(chain.isTruncated ? "+truncated" : "")"
                + (chain.isMalformed ? "+malformed" : "")
            for (position, fingerprint) in chain.fingerprints.enumerated() {
                line += "\n    [\(position)] sha256=\(fingerprint)"
            }
        } else {
            line += " chain=unobserved(\(session.unobservedReason?.rawValue ?? "unknown"))"
        }
        if let chain = session.clientChain {
            line += "\n    client chain: \(chain.fingerprints.map(\.description).joined(separator: ", "))"
        }
        if session.overlapInconsistentBytes > 0 {
            line += "\n    tcp: \(session.overlapInconsistentBytes) bytes in \(session.overlapInconsistentSegments) "
                + "overlapping segments differed from the copy examined (first copy wins)"
        }
        return line
    }
}
