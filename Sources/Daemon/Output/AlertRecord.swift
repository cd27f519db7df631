import Detector
import Sniffer
import Wire
import Certificates

/// The ECS alert object of one finding (`event.kind: alert`, `event.dataset: mitmwatch.alert`).
enum AlertRecord {
    static func json(_ finding: Finding, report: SessionReport, indicators: IndicatorSet,
                     includeChain: Bool, suppressedBefore: Int) -> String {
        let session = report.session
        var record = JSONObjectWriter()
        record.field("@timestamp", session.end.rfc3339)
        record.field("message", AlertText.message(finding, in: report, indicators: indicators))
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
        SessionRecord.endpoints(&record, session)
        record.object("tls") { tls in
            SessionRecord.tlsFields(&tls, session)
            tls.object("server") { server in
                if let leaf = session.serverChain?.fingerprints.first {
                    server.object("hash") { $0.field("sha256", leaf.description) }
                }
                if let der = report.serverChainDER.first, let view = try? CertificateView(der: der.span) {
                    let leaf = CertificateDescription(view)
                    server.object("x509") { x509(&$0, leaf) }
                }
                if includeChain {
                    server.field("certificate_chain", report.serverChainDER.map(PEM.encode))
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
        x.field("not_before", CertificateRecord.date(c.notBefore))
        x.field("not_after", CertificateRecord.date(c.notAfter))
        x.field("alternative_names", c.alternativeNames.isEmpty ? nil : Array(c.alternativeNames.prefix(100)))
        x.field("public_key_algorithm", c.publicKeyAlgorithmName ?? c.publicKeyAlgorithmOID)
        x.field("public_key_size", c.publicKeySize)
        x.field("public_key_exponent", c.rsaExponent)
        x.field("signature_algorithm", c.signatureAlgorithmName ?? c.signatureAlgorithmOID)
    }

    /// A readable line for people.
    static func text(_ finding: Finding, report: SessionReport, indicators: IndicatorSet) -> String {
        "ALERT [\(finding.rule.severity.rawValue)] \(finding.rule.rawValue): "
            + AlertText.message(finding, in: report, indicators: indicators)
    }
}

/// PEM encoding of a certificate (RFC 7468), 64 characters a line.
enum PEM {
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
