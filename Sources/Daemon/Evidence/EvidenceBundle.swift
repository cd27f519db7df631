import Detector
import Output
import Sniffer

/// What an evidence folder holds for one alerting session:
/// - `alert.json`: its alerts as ECS JSON lines, as the JSON log has them (naming this folder);
/// - `session.json`: its session record;
/// - `chain.pem`: the server's chain as sent, leaf first (when the chain was seen);
/// - `handshake.pcap`: the flow's frames as captured, from its first payload to the end of its
///   handshake (a passive session's; a probe's alert has none) — `mitmwatch read` of it gives
///   the same alert.
enum EvidenceBundle {
    /// The files, `alertLines` being the session's alerts as rendered for the outputs (naming
    /// the folder already).
    static func files(_ report: SessionReport, alertLines: [UInt8], sensor: String?) -> [(name: String, bytes: [UInt8])] {
        var session = JSONBuffer(capacity: 2048)
        SessionRecord.write(report, sensor: sensor, into: &session)
        var files: [(name: String, bytes: [UInt8])] = [("alert.json", alertLines), ("session.json", session.bytes)]
        if !report.serverChainDER.isEmpty {
            files.append(("chain.pem", report.serverChainDER.flatMap(PEM.certificate)))
        }
        if let packets = report.packets, !packets.isEmpty {
            files.append(("handshake.pcap", PcapWriter.file(packets)))
        }
        return files
    }
}
