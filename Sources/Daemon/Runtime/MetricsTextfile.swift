import Sniffer

#if canImport(Glibc)
import Glibc
#endif

/// Prometheus text exposition of the daemon's counters, written atomically (temporary file,
/// then rename) for node_exporter's textfile collector.
enum Metrics {
    struct Snapshot {
        var counters: Counters
        var activeFlows: Int
        var alertsByRule: [String: Int]
        var alertsSuppressed: Int
        var logWriteFailures: UInt64
        var kernel: [String: (received: UInt64, dropped: UInt64, interfaceDropped: UInt64)]
    }

    static func text(_ s: Snapshot) -> String {
        var lines: [String] = []
        func metric(_ name: String, _ help: String, _ type: String, _ samples: [(String, String)]) {
            lines.append("# HELP mitmwatch_\(name) \(help)")
            lines.append("# TYPE mitmwatch_\(name) \(type)")
            for (labels, value) in samples { lines.append("mitmwatch_\(name)\(labels) \(value)") }
        }
        let c = s.counters
        metric("packets_total", "Packets captured.", "counter", [("", "\(c[.packets])")])
        metric("bytes_total", "Bytes on the wire of the captured packets.", "counter", [("", "\(c[.bytes])")])
        metric("flows_active", "Connections tracked now.", "gauge", [("", "\(s.activeFlows)")])
        metric("flows_evicted_total", "Connections expired or evicted.", "counter",
               [("{reason=\"idle\"}", "\(c[.flowsEvictedIdle])"), ("{reason=\"table_full\"}", "\(c[.dropFlowTableFull])")])
        metric("reassembly_gaps_total", "Holes in TCP streams skipped.", "counter", [("", "\(c[.reassemblyGaps])")])
        metric("tls_sessions_total", "TLS sessions reported.", "counter", [("", "\(c[.tlsSessions])")])
        metric("certificates_parsed_total", "Certificates in Certificate messages.", "counter", [("", "\(c[.certificates])")])
        metric("certificates_unseen_total", "Server chains that could not be seen, by reason.", "counter",
               [("{reason=\"tls13_encrypted\"}", "\(c[.tls13ChainsEncrypted])"),
                ("{reason=\"over_cap\"}", "\(c[.dropCertificateMessageOverCap])"),
                ("{reason=\"malformed\"}", "\(c[.dropCertificateMessageMalformed])")])
        metric("drops_total", "Things not examined, by reason.", "counter",
               Counter.allCases.filter(\.isDrop).map { ("{reason=\"\($0.name)\"}", "\(c[$0])") })
        metric("alerts_total", "Alerts raised, by rule.", "counter",
               s.alertsByRule.sorted { $0.key < $1.key }.map { ("{rule=\"\($0.key)\"}", "\($0.value)") })
        metric("alerts_suppressed_total", "Repeated alerts suppressed.", "counter", [("", "\(s.alertsSuppressed)")])
        metric("log_write_failures_total", "JSON log lines that could not be written.", "counter", [("", "\(s.logWriteFailures)")])
        metric("kernel_dropped_total", "Packets the kernel dropped (pcap_stats).", "counter",
               s.kernel.sorted { $0.key < $1.key }.map { ("{interface=\"\($0.key)\"}", "\($0.value.dropped)") })
        metric("kernel_received_total", "Packets the kernel delivered (pcap_stats).", "counter",
               s.kernel.sorted { $0.key < $1.key }.map { ("{interface=\"\($0.key)\"}", "\($0.value.received)") })
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `text` to `path` atomically; false (errno set) on failure.
    @discardableResult
    static func write(_ text: String, to path: String) -> Bool {
        let temporary = path + ".tmp"
        let descriptor = unsafe open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return false }
        var copy = text
        let written = copy.withUTF8 { unsafe Glibc.write(descriptor, $0.baseAddress, $0.count) == $0.count }
        close(descriptor)
        guard written, unsafe rename(temporary, path) == 0 else {
            _ = unsafe unlink(temporary)
            return false
        }
        return true
    }
}
