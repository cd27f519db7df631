import Certificates
import Sniffer

/// What detection keeps with a session whose chain drew findings, from its Certificate message
/// to its end: the findings (some wait for the session's end to stand) and the chain an alert
/// describes. It travels in the flow's handshake state and is charged to the memcap there.
public final class SessionFindings: SessionAnnotation {
    public let findings: [RuledFinding]
    public let chain: [KnownCertificate]
    public let chainDER: [[UInt8]]
    public let heapBytes: Int

    init(findings: [RuledFinding], chain: [KnownCertificate], chainDER: [[UInt8]]) {
        self.findings = findings
        self.chain = chain
        self.chainDER = chainDER
        heapBytes = MemoryLayout<RuledFinding>.stride * findings.count
            + chain.reduce(0) { total, known in
                total + MemoryLayout<KnownCertificate>.stride + (known.subjectName?.utf8.count ?? 0)
                    + (known.issuerName?.utf8.count ?? 0)
            }
            // The DER is shared with the certificates' (the cache's) copies: counted once.
            + chainDER.reduce(0) { $0 + $1.count }
    }
}
