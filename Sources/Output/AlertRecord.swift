import Detector
import Sniffer
import Wire
import Certificates

/// The ECS alert object of one finding (`event.kind: alert`, `event.dataset: mitmwatch.alert`).
/// The one place a `Finding` and its `SessionReport` become JSON fields.
public enum AlertRecord {
    /// Appends the alert's record as one line.
    public static func write(_ finding: Finding, report: SessionReport, indicators: IndicatorSet,
                             includeChain: Bool, suppressedBefore: Int, evidence: String? = nil,
                             sensor: String? = nil, into json: inout JSONBuffer) {
        let session = report.session
        let rule = finding.rule
        json.beginRecord()
        json.field("@timestamp", timestamp: session.end)
        json.message(finding, report: report, indicators: indicators)
        json.member(#""event":{"kind":"alert","category":["network","intrusion_detection"],"type":["info"],"dataset":"mitmwatch.alert","severity":"#)
        json.int(finding.severity.score)
        json.appendStatic(#","start":"#)
        json.timestamp(session.start)
        json.appendByte(UInt8(ascii: "}"))
        json.member(encoded: RuleObjects.encoded[rule] ?? [])
        SessionRecord.endpoints(session, into: &json)
        SessionRecord.observer(sensor, into: &json)
        json.beginObject("tls")
        SessionRecord.tlsFields(session, into: &json)
        ObservationFields.nextProtocol(report.probe, into: &json)
        json.beginObject("server")
        if let leaf = session.serverChain?.fingerprints.first {
            json.member(#""hash":{"sha256":"#)
            json.fingerprint(leaf)
            json.appendByte(UInt8(ascii: "}"))
        }
        if let der = report.serverChainDER.first {
            // The report's chain and DER are kept together (both, the leaf only, or neither).
            leafFields(der, known: report.serverChain.first, into: &json)
        }
        if includeChain {
            json.beginArray("certificate_chain")
            for der in report.serverChainDER {
                json.separate()
                PEM.write(der, into: &json)
            }
            json.endArray()
        }
        json.endObject()
        json.endObject()
        let indicator = finding.indicator.map { indicators.indicators[$0] }
        if let indicator { threat(indicator, into: &json) }
        json.member(#""mitmwatch":{"session_id":"#)
        json.uint64(session.id)
        json.continueObject()
        ObservationFields.write(report.observation, probe: report.probe, into: &json)
        json.verdict(of: report.findings)
        json.field("severity", finding.severity.rawValue)
        json.reasons(of: finding)
        json.field("detail", finding.detail)
        if let indicator {
            json.beginObject("match")
            json.field("type", finding.matchType?.rawValue)
            json.field("position", finding.position)
            json.field("sha256", indicator.sha256)
            json.field("signature_verified", finding.signatureVerified)
            json.endObject()
            json.beginObject("indicator")
            json.field("signal", indicator.signal.rawValue)
            json.field("kind", indicator.kind)
            json.field("country", indicator.country)
            json.field("years", indicator.years)
            json.endObject()
        } else {
            json.beginObject("match"); json.field("position", finding.position); json.endObject()
        }
        if let chain = session.serverChain { json.field("chain_sha256", fingerprints: chain.fingerprints) }
        json.field("suppressed_before", suppressedBefore > 0 ? suppressedBefore : nil)
        if let evidence {
            json.beginObject("evidence")
            json.field("path", evidence)
            json.endObject()
        }
        json.endObject()
        json.endRecord()
    }

    /// `x509`: the leaf's fields, copied from `JSONBuffer.leafFields` when this leaf was written
    /// before, else written from its DER (and kept there).
    private static func leafFields(_ der: [UInt8], known: KnownCertificate?, into json: inout JSONBuffer) {
        let subjectName = known?.subjectName, issuerName = known?.issuerName
        if let fingerprint = known?.sha256,
           let member = json.leafFields.member(fingerprint: fingerprint, der: der, subjectName: subjectName, issuerName: issuerName) {
            json.member(encoded: member)
            return
        }
        guard let view = try? CertificateView(der: der.span) else { return }
        let start = json.nextMemberStart
        LeafCertificateFields.write(view, subjectName: subjectName, issuerName: issuerName, into: &json)
        if let fingerprint = known?.sha256, json.count - start <= LeafFieldsCache.maxMemberBytes,
           json.leafFields.missedBefore(fingerprint) {
            let member = json.bytes(from: start)
            json.leafFields.keep(member, fingerprint: fingerprint, der: der, subjectName: subjectName, issuerName: issuerName)
        }
    }

    /// ECS `threat.indicator.*`: the indicator the finding matched.
    private static func threat(_ indicator: Indicator, into json: inout JSONBuffer) {
        json.beginObject("threat")
        json.beginObject("indicator")
        json.field("name", indicator.id)
        json.field("type", "x509-certificate")
        json.field("description", indicator.name)
        json.field("reference", indicator.sources.first)
        json.field("provider", indicator.origin == "built-in" ? "mitmwatch built-in indicators" : indicator.origin)
        json.beginObject("x509")
        json.field("serial_number", indicator.serial?.uppercased())
        json.beginObject("subject"); json.field("distinguished_name", indicator.subject); json.endObject()
        json.beginObject("issuer"); json.field("distinguished_name", indicator.issuer); json.endObject()
        json.field("not_before", indicator.notBefore)
        json.field("not_after", indicator.notAfter)
        json.endObject()
        json.endObject()
        json.endObject()
    }

    /// A readable line for people.
    public static func text(_ finding: Finding, report: SessionReport, indicators: IndicatorSet) -> String {
        "ALERT [\(finding.severity.rawValue)] \(finding.rule.rawValue): "
            + AlertText.message(finding, in: report, indicators: indicators)
    }
}

