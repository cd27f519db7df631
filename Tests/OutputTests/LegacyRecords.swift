// The records as they were written before the byte-buffer encoder (verbatim but for the names):
// the oracle the new records must equal byte for byte.

import Detector
import Sniffer
import Wire
import Certificates


/// The ECS-named JSON record of one TLS session (`event.dataset: mitmwatch.tls`).
enum LegacySessionRecord {
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
            mitmwatch.field("observation", "passive")  // added with probes (step 2)
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

/// The ECS alert object of one finding (`event.kind: alert`, `event.dataset: mitmwatch.alert`).
enum LegacyAlertRecord {
    static func json(_ finding: Finding, report: SessionReport, indicators: IndicatorSet,
                     includeChain: Bool, suppressedBefore: Int) -> String {
        let session = report.session
        var record = JSONObjectWriter()
        record.field("@timestamp", session.end.rfc3339)
        record.field("message", LegacyAlertText.message(finding, in: report, indicators: indicators))
        record.object("event") { event in
            event.field("kind", "alert")
            event.field("category", ["network", "intrusion_detection"])
            event.field("type", ["info"])
            event.field("dataset", "mitmwatch.alert")
            event.field("severity", finding.rule.severity.score)
            event.field("start", session.start.rfc3339)
        }
        record.object("rule") { rule in
            rule.field("id", finding.rule.rawValue)
            rule.field("name", finding.rule.name)
            rule.field("description", finding.rule.description)
            rule.field("reference", finding.rule.reference)
        }
        LegacySessionRecord.endpoints(&record, session)
        record.object("tls") { tls in
            LegacySessionRecord.tlsFields(&tls, session)
            tls.object("server") { server in
                if let leaf = session.serverChain?.fingerprints.first {
                    server.object("hash") { $0.field("sha256", leaf.description) }
                }
                if let der = report.serverChainDER.first, let view = try? CertificateView(der: der.span) {
                    let leaf = CertificateDescription(view)
                    server.object("x509") { x509(&$0, leaf) }
                }
                if includeChain {
                    server.field("certificate_chain", report.serverChainDER.map(LegacyPEM.encode))
                }
            }
        }
        if let index = finding.indicator {
            let indicator = indicators.indicators[index]
            record.object("threat") { threat in
                threat.object("indicator") { ti in
                    ti.field("name", indicator.id)
                    ti.field("type", "x509-certificate")
                    ti.field("description", indicator.name)
                    ti.field("reference", indicator.sources.first)
                    ti.field("provider", indicator.origin == "built-in" ? "mitmwatch built-in indicators" : indicator.origin)
                    ti.object("x509") { x in
                        x.field("serial_number", indicator.serial?.uppercased())
                        x.object("subject") { $0.field("distinguished_name", indicator.subject) }
                        x.object("issuer") { $0.field("distinguished_name", indicator.issuer) }
                        x.field("not_before", indicator.notBefore)
                        x.field("not_after", indicator.notAfter)
                    }
                }
            }
        }
        record.object("mitmwatch") { m in
            m.field("session_id", session.id)
            m.field("observation", report.observation.rawValue)  // added with probes (step 2)
            m.field("verdict", report.verdict)
            m.field("severity", finding.rule.severity.rawValue)
            m.field("reasons", finding.reasons.isEmpty ? nil : finding.reasons)
            m.field("detail", finding.detail)
            if let index = finding.indicator {
                let indicator = indicators.indicators[index]
                m.object("match") { match in
                    match.field("type", finding.matchType?.rawValue)
                    match.field("position", finding.position)
                    match.field("sha256", indicator.sha256)
                    match.field("signature_verified", finding.signatureVerified)
                }
                m.object("indicator") { i in
                    i.field("signal", indicator.signal.rawValue)
                    i.field("kind", indicator.kind)
                    i.field("country", indicator.country)
                    i.field("years", indicator.years)
                }
            } else {
                m.object("match") { $0.field("position", finding.position) }
            }
            m.field("chain_sha256", session.serverChain.map { $0.fingerprints.map(\.description) })
            m.field("suppressed_before", suppressedBefore > 0 ? suppressedBefore : nil)
        }
        return record.finished
    }

    static func x509(_ x: inout JSONObjectWriter, _ c: CertificateDescription) {
        x.field("serial_number", c.serialNumberHex)
        x.object("subject") { subject in
            subject.field("distinguished_name", c.subject)
            subject.field("common_name", c.subjectAttributes.commonName.isEmpty ? nil : c.subjectAttributes.commonName)
        }
        x.object("issuer") { issuer in
            issuer.field("distinguished_name", c.issuer)
            issuer.field("common_name", c.issuerAttributes.commonName.isEmpty ? nil : c.issuerAttributes.commonName)
        }
        x.field("not_before", LegacyCertificateRecord.date(c.notBefore))
        x.field("not_after", LegacyCertificateRecord.date(c.notAfter))
        x.field("alternative_names", c.alternativeNames.isEmpty ? nil : Array(c.alternativeNames.prefix(100)))
        x.field("public_key_algorithm", c.publicKeyAlgorithmName ?? c.publicKeyAlgorithmOID)
        x.field("public_key_size", c.publicKeySize)
        x.field("public_key_exponent", c.rsaExponent)
        x.field("signature_algorithm", c.signatureAlgorithmName ?? c.signatureAlgorithmOID)
    }

    /// A readable line for people.
    static func text(_ finding: Finding, report: SessionReport, indicators: IndicatorSet) -> String {
        "ALERT [\(finding.rule.severity.rawValue)] \(finding.rule.rawValue): "
            + LegacyAlertText.message(finding, in: report, indicators: indicators)
    }
}

/// PEM encoding of a certificate (RFC 7468), 64 characters a line.
enum LegacyPEM {
    static func encode(_ der: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var base64: [UInt8] = []
        var index = 0
        while index < der.count {
            let chunk = Array(der[index..<min(index + 3, der.count)])
            let value = (UInt32(chunk[0]) << 16) | (UInt32(chunk.count > 1 ? chunk[1] : 0) << 8) | UInt32(chunk.count > 2 ? chunk[2] : 0)
            base64.append(table[Int(value >> 18 & 63)])
            base64.append(table[Int(value >> 12 & 63)])
            base64.append(chunk.count > 1 ? table[Int(value >> 6 & 63)] : UInt8(ascii: "="))
            base64.append(chunk.count > 2 ? table[Int(value & 63)] : UInt8(ascii: "="))
            index += 3
        }
        var lines = ["-----BEGIN CERTIFICATE-----"]
        var start = 0
        while start < base64.count {
            lines.append(String(decoding: base64[start..<min(start + 64, base64.count)], as: UTF8.self))
            start += 64
        }
        lines.append("-----END CERTIFICATE-----")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A certificate as `mitmwatch inspect` prints it: ECS `x509.*`, `hash.*`, and `mitmwatch.*` for
/// what ECS does not name.
enum LegacyCertificateRecord {
    static func json(_ c: CertificateDescription, path: String, location: String) -> String {
        var record = JSONObjectWriter()
        record.object("file") { $0.field("path", path) }
        record.object("x509") { x509 in
            x509.field("version_number", String(c.versionNumber))
            x509.field("serial_number", c.serialNumberHex)
            x509.field("signature_algorithm", c.signatureAlgorithmName ?? c.signatureAlgorithmOID)
            x509.object("issuer") { name(&$0, c.issuer, c.issuerAttributes) }
            x509.object("subject") { name(&$0, c.subject, c.subjectAttributes) }
            x509.field("not_before", date(c.notBefore))
            x509.field("not_after", date(c.notAfter))
            x509.field("public_key_algorithm", c.publicKeyAlgorithmName ?? c.publicKeyAlgorithmOID)
            x509.field("public_key_size", c.publicKeySize)
            x509.field("public_key_exponent", c.rsaExponent)
            x509.field("public_key_curve", c.publicKeyCurveName)
            x509.field("alternative_names", c.alternativeNames.isEmpty ? nil : c.alternativeNames)
        }
        record.object("hash") { hash in
            hash.field("sha256", c.sha256)
            hash.field("sha1", c.sha1)
        }
        record.object("mitmwatch") { m in
            m.field("source", location)
            m.field("spki_sha256", c.spkiSHA256)
            m.field("signature_algorithm_oid", c.signatureAlgorithmOID)
            m.field("public_key_algorithm_oid", c.publicKeyAlgorithmOID)
            m.field("public_key_curve_oid", c.publicKeyCurveOID)
            m.field("is_ca", c.isCA)
            m.field("path_len", c.pathLength)
            m.field("key_usage", c.keyUsage)
            m.field("extended_key_usage", c.extendedKeyUsage)
            m.field("subject_key_identifier", c.subjectKeyIdentifier)
            if let identifier = c.authorityKeyIdentifier {
                m.object("authority_key_identifier") { $0.field("key_identifier", identifier) }
            }
            m.object("san") { san in
                san.field("dns", c.sanDNS.isEmpty ? nil : c.sanDNS)
                san.field("ip", c.sanIP.isEmpty ? nil : c.sanIP)
                san.field("email", c.sanEmail.isEmpty ? nil : c.sanEmail)
                san.field("uri", c.sanURI.isEmpty ? nil : c.sanURI)
            }
            m.field("sct_count", c.sctCount)
            m.object("authority_info_access") { aia in
                aia.field("ocsp", c.ocspURIs.isEmpty ? nil : c.ocspURIs)
                aia.field("ca_issuers", c.caIssuerURIs.isEmpty ? nil : c.caIssuerURIs)
            }
            m.field("crl_distribution_points", c.crlDistributionURIs.isEmpty ? nil : c.crlDistributionURIs)
            m.field("certificate_policies", c.policyOIDs)
            m.objects("extensions", c.extensions) { entry, ext in
                entry.field("oid", ext.oid)
                entry.field("critical", ext.critical)
            }
            m.field("notes", c.notes.isEmpty ? nil : c.notes)
        }
        return record.finished
    }

    private static func name(_ writer: inout JSONObjectWriter, _ dn: String, _ a: CertificateDescription.NameAttributes) {
        writer.field("distinguished_name", dn)
        writer.field("common_name", a.commonName.isEmpty ? nil : a.commonName)
        writer.field("organization", a.organization.isEmpty ? nil : a.organization)
        writer.field("organizational_unit", a.organizationalUnit.isEmpty ? nil : a.organizationalUnit)
        writer.field("country", a.country.isEmpty ? nil : a.country)
        writer.field("locality", a.locality.isEmpty ? nil : a.locality)
        writer.field("state_or_province", a.stateOrProvince.isEmpty ? nil : a.stateOrProvince)
    }

    static func date(_ seconds: Int64) -> String {
        Timestamp(seconds: seconds).rfc3339(microseconds: false)
    }

    /// A readable block for people.
    static func text(_ c: CertificateDescription, path: String, location: String) -> String {
        var lines = ["\(path) (\(location))"]
        func add(_ label: String, _ value: String?) {
            if let value { lines.append("  " + label + String(repeating: " ", count: max(1, 26 - label.count)) + value) }
        }
        add("subject", c.subject)
        add("issuer", c.issuer)
        add("serial", c.serialNumberHex)
        add("version", String(c.versionNumber))
        add("validity", "\(date(c.notBefore)) → \(date(c.notAfter))")
        add("signature algorithm", c.signatureAlgorithmName ?? c.signatureAlgorithmOID)
        var key = c.publicKeyAlgorithmName ?? c.publicKeyAlgorithmOID
        if let size = c.publicKeySize { key += " \(size) bits" }
        if let curve = c.publicKeyCurveName { key += " \(curve)" }
        if let exponent = c.rsaExponent { key += ", exponent \(exponent)" }
        add("public key", key)
        add("sha256", c.sha256)
        add("sha1", c.sha1)
        add("spki sha256", c.spkiSHA256)
        if let isCA = c.isCA { add("basic constraints", "CA=\(isCA)" + (c.pathLength.map { ", pathlen=\($0)" } ?? "")) }
        add("key usage", c.keyUsage?.joined(separator: ", "))
        add("extended key usage", c.extendedKeyUsage?.joined(separator: ", "))
        add("subject key id", c.subjectKeyIdentifier)
        add("authority key id", c.authorityKeyIdentifier)
        add("alternative names", c.alternativeNames.isEmpty ? nil : c.alternativeNames.joined(separator: ", "))
        add("embedded SCTs", c.sctCount.map(String.init))
        add("OCSP", c.ocspURIs.isEmpty ? nil : c.ocspURIs.joined(separator: ", "))
        add("CA issuers", c.caIssuerURIs.isEmpty ? nil : c.caIssuerURIs.joined(separator: ", "))
        add("CRL distribution points", c.crlDistributionURIs.isEmpty ? nil : c.crlDistributionURIs.joined(separator: ", "))
        add("policies", c.policyOIDs?.joined(separator: ", "))
        add("extensions", c.extensions.map { $0.oid + ($0.critical ? " (critical)" : "") }.joined(separator: ", "))
        add("notes", c.notes.isEmpty ? nil : c.notes.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}

// The alert sentence as it was made before `AlertText` wrote it in pieces (verbatim).

/// The one-line, plain-words sentence an alert carries (`message`), for people reading a journal.
enum LegacyAlertText {
    static func message(_ finding: Finding, in report: SessionReport, indicators: IndicatorSet) -> String {
        let session = report.session
        let site = session.serverName ?? session.server.address.description
        let place = "\(site) (\(session.server.description))"
        switch finding.rule {
        case .issuerChange, .tlsDowngrade, .serverProfileChange:
            // Newer than the legacy writer: no sentence of its own to compare with.
            return AlertText.message(finding, in: report, indicators: indicators)
        case .knownInterceptionCA, .governmentCA:
            guard let index = finding.indicator else { return "\(place): \(finding.rule.name)" }
            let indicator = indicators.indicators[index]
            var who = indicator.name
            if let country = indicator.country { who += " (\(country)" + (indicator.years.map { ", \($0)" } ?? "") + ")" }
            let what: String
            switch finding.matchType {
            case .issuerName, .issuerKeyID:
                what = "was served a certificate issued by \(who)"
            default:
                what = "was served a chain containing \(who)"
            }
            var sentence = "\(place) \(what)"
            if finding.rule == .knownInterceptionCA {
                sentence += ", a known interception CA — traffic to this site is being decrypted"
            } else {
                sentence += ", a state CA that is also used legitimately — check whether this site should use it"
            }
            switch finding.signatureVerified {
            case true?: sentence += " (signature verified with the CA's key)"
            case false?: sentence += " (the issuer name matches but the signature does not verify with the known key)"
            case nil: break
            }
            return sentence
        case .interceptionShape:
            return "\(place) was served a leaf that looks minted on the fly by an interception box ("
                + finding.reasons.joined(separator: ", ") + ")"
        case .untrustedChain:
            return "\(place) presented a chain that does not validate to the trust store ("
                + finding.reasons.joined(separator: ", ") + ") — possible interception"
        case .pinMismatch:
            return "\(place) presented a chain without any of the CA keys pinned for this name — possible interception"
        case .missingSCT:
            return "\(place) presented a publicly trusted certificate without Certificate Transparency proof"
        case .malformedChain:
            return "\(place) sent a malformed certificate chain (" + finding.reasons.joined(separator: ", ")
                + ") — not judged as interception"
        }
    }
}
