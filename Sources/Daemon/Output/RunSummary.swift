import Sniffer

/// What a `read` run did, printed on stderr at the end.
struct RunSummary {
    struct File {
        var path: String
        var linkType: LinkType
        var packets: Int
        var outcome: PcapFile.Outcome
    }

    var files: [File] = []
    var counters = Counters()
    var reassemblyPeakBytes = 0
    var alerts = 0
    var alertsSuppressed = 0
    var certificateCacheHits: UInt64 = 0
    var certificateCacheMisses: UInt64 = 0

    var text: String {
        var lines: [String] = []
        for file in files {
            var line = "file \(file.path): \(file.packets) packets, link type \(file.linkType)"
            if case .truncated(let reason) = file.outcome { line += " — TRUNCATED (\(reason)); processed what it holds" }
            lines.append(line)
        }
        let c = counters
        lines.append("packets \(c[.packets]), bytes \(c[.bytes]), tcp segments \(c[.tcpSegments]), "
            + "flows \(c[.flowsCreated]) (bypassed \(c[.flowsBypassed]), expired idle \(c[.flowsEvictedIdle]))")
        lines.append("tls sessions \(c[.tlsSessions]), certificate messages \(c[.certificateMessages]), "
            + "certificates \(c[.certificates]) (cache: \(certificateCacheHits) hits, \(certificateCacheMisses) parsed), "
            + "tls1.3 chains encrypted \(c[.tls13ChainsEncrypted])")
        lines.append("reassembly: gaps \(c[.reassemblyGaps]), tls resyncs \(c[.tlsResyncs]), "
            + "out-of-order segments \(c[.segmentsOutOfOrder]), retransmissions \(c[.segmentsRetransmitted]), "
            + "peak buffered bytes \(reassemblyPeakBytes)")
        lines.append("alerts \(alerts)" + (alertsSuppressed > 0 ? " (\(alertsSuppressed) repeats suppressed)" : ""))
        let drops = c.drops
        if drops.isEmpty {
            lines.append("drops: none")
        } else {
            lines.append("drops: " + drops.map { "\($0.0.name)=\($0.1)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}

