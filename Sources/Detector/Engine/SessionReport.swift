import Certificates
import Sniffer

/// A finished session with what the rules found in it.
public struct SessionReport: Sendable {
    public var session: TLSSession
    public var findings: [Finding]
    /// The server's chain as examined (leaf first), kept only for sessions with findings.
    public var serverChain: [KnownCertificate]
    /// The server's chain's DER, kept only for sessions with findings (alerts print the leaf's
    /// fields, and the chain as PEM when asked).
    public var serverChainDER: [[UInt8]]
    public var observation: Observation
    /// Why and how the chain was fetched, for a probe's report.
    public var probe: ProbeDetails?
    /// The flow's first frames as captured, kept only for sessions with findings when evidence
    /// bundles are written.
    public var packets: CapturedPackets?

    public init(session: TLSSession, findings: [Finding], serverChain: [KnownCertificate] = [],
                serverChainDER: [[UInt8]] = [], observation: Observation = .passive, probe: ProbeDetails? = nil,
                packets: CapturedPackets? = nil) {
        self.packets = packets
        self.session = session
        self.findings = findings
        self.serverChain = serverChain
        self.serverChainDER = serverChainDER
        self.observation = observation
        self.probe = probe
    }

    /// The rule ids that fired, each once, in rule order (`mitmwatch.verdict`).
    public var verdict: [String] {
        guard !findings.isEmpty else { return [] }
        return Rule.allCases.filter { rule in findings.contains { $0.rule == rule } }.map(\.rawValue)
    }
}
