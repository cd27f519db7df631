import Sniffer

/// The ECS-named JSON record of one TLS session (`event.dataset: mitmwatch.tls`).
enum SessionRecord {
    static func json(_ session: TLSSession, verdict: [String]? = nil) -> String {
        var record = JSONObjectWriter()
        record.field("@timestamp", session.start.rfc3339)
        record.object("event") { event in
            event.field("kind", "event")
            event.field("category", ["network"])
            event.field("type", ["protocol"])
            event.field("dataset", "mitmwatch.tls")
            event.field("start", session.start.rfc3339)
            event.field("end", session.end.rfc3339)
        }
        endpoints(&record, session)
        let version = session.version
        record.object("tls") { tls in
            tlsFields(&tls, session)
            tls.object("server") { server in
                if let leaf = session.serverChain?.fingerprints.first {
                    server.object("hash") { $0.field("sha256", leaf.description) }
                }
            }
        }
        record.object("mitmwatch") { mitmwatch in
            mitmwatch.field("session_id", session.id)
            mitmwatch.field("verdict", verdict)
            mitmwatch.object("chain") { chain in
                chain.field("observable", session.isChainObservable)
                chain.field("unobserved_reason", session.unobservedReason?.rawValue)
                if let observed = session.serverChain {
                    chain.field("sha256", observed.fingerprints.map(\.description))
                    chain.field("length", observed.fingerprints.count)
                    chain.field("truncated", observed.isTruncated)
                }
            }
            if let observed = session.clientChain {
                mitmwatch.object("client_chain") { chain in
                    chain.field("sha256", observed.fingerprints.map(\.description))
                    chain.field("truncated", observed.isTruncated)
                }
            }
            mitmwatch.object("tls") { tls in
                tls.field("version_name", version?.name)
                if let hello = session.serverHello {
                    tls.field("cipher_suite", String(format4Hex: hello.cipherSuite))
                    tls.field("key_share_group", hello.keyShareGroup.map { String(format4Hex: $0) })
                    tls.field("hello_retry_request", hello.isHelloRetryRequest ? true : nil)
                    tls.field("server_hello_malformed", hello.isMalformed ? true : nil)
                }
                if let hello = session.clientHellos.first {
                    tls.field("client_version", hello.legacyVersion.name)
                    tls.field("client_supported_versions",
                              hello.supportedVersions.isEmpty ? nil : hello.supportedVersions.map(\.name))
                    tls.field("alpn", hello.alpn.isEmpty ? nil : hello.alpn)
                    tls.field("cipher_suites_offered", hello.cipherSuites.count)
                    tls.field("key_share_groups",
                              hello.keyShareGroups.isEmpty ? nil : hello.keyShareGroups.map { String(format4Hex: $0) })
                    tls.field("sslv2_client_hello", hello.isSSLv2Compatible ? true : nil)
                    tls.field("client_hello_malformed", hello.isMalformed ? true : nil)
                }
                let names = session.serverNames
                tls.field("server_names", names.count > 1 ? names : nil)
                tls.field("client_hellos", session.clientHellos.count)
                tls.field("certificate_requested", session.certificateRequested ? true : nil)
                tls.field("ocsp_stapled", session.ocspStapled ? true : nil)
            }
            mitmwatch.field("roles_decided_by", session.rolesDecidedBy.rawValue)
            mitmwatch.field("prelude_bytes", session.clientPreludeBytes > 0 ? session.clientPreludeBytes : nil)
            mitmwatch.field("gaps", session.gaps > 0 ? session.gaps : nil)
            if session.overlapInconsistentBytes > 0 {
                mitmwatch.object("tcp") { tcp in
                    tcp.field("overlap_inconsistent_bytes", session.overlapInconsistentBytes)
                    tcp.field("overlap_inconsistent_segments", session.overlapInconsistentSegments)
                }
            }
            mitmwatch.field("end_reason", session.endedBy.rawValue)
        }
        return record.finished
    }

    /// `source`, `destination` and `network` of a session (shared with alerts).
    static func endpoints(_ record: inout JSONObjectWriter, _ session: TLSSession) {
        record.object("source") { source in
            source.field("ip", session.client.address.description)
            source.field("port", Int(session.client.port))
        }
        record.object("destination") { destination in
            destination.field("ip", session.server.address.description)
            destination.field("port", Int(session.server.port))
        }
        record.object("network") { network in
            network.field("transport", "tcp")
            network.field("protocol", "tls")
        }
    }

    /// `tls.version`, `tls.version_protocol` and `tls.client.*` (shared with alerts).
    static func tlsFields(_ tls: inout JSONObjectWriter, _ session: TLSSession) {
        tls.field("version", session.version?.ecsVersion)
        tls.field("version_protocol", session.version?.ecsProtocol)
        tls.object("client") { client in
            client.field("server_name", session.serverName)
            if let leaf = session.clientChain?.fingerprints.first {
                client.object("hash") { $0.field("sha256", leaf.description) }
            }
        }
    }

    /// One readable line for people.
    static func text(_ session: TLSSession) -> String {
        var line = "\(session.start.rfc3339) \(session.client.description) -> \(session.server.description)"
        line += " \(session.version?.name ?? "version?")"
        line += " sni=\(session.serverName.map { $0.debugDescription } ?? "-")"
        if let chain = session.serverChain {
            line += " chain=\(chain.fingerprints.count)\(chain.isTruncated ? "+truncated" : "")"
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
