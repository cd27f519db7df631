import Certificates
import Sniffer

/// What detection keeps with a session whose chain drew findings, from its Certificate message
/// to its end: the findings (some wait for the session's end to stand) and the chain an alert
/// describes. It travels in the flow's handshake state and is charged to the memcap there.
public final class SessionFindings: SessionAnnotation {
    public let findings: [RuledFinding]
    /// The chain as examined, each certificate with its DER.
    public let chain: [KnownCertificate]
    public let heapBytes: Int

    init(findings: [RuledFinding], chain: [KnownCertificate]) {
        self.findings = findings
        self.chain = chain
        heapBytes = MemoryLayout<RuledFinding>.stride * findings.count
            + chain.reduce(0) { total, known in
                total + MemoryLayout<KnownCertificate>.stride + known.der.count + (known.subjectName?.utf8.count ?? 0)
                    + (known.issuerName?.utf8.count ?? 0)
            }
    }
}
