import Detector
import Sniffer
import Store

#if canImport(Glibc)
import Glibc
#endif

/// Prometheus text exposition of the daemon's counters, written atomically (temporary file,
/// then rename) for node_exporter's textfile collector. The unlabelled totals add up every
/// capture thread; the `worker` series show each one.
enum Metrics {
    struct Snapshot {
        /// What each worker last published, in worker order.
        var workers: [WorkerSnapshot]
        var alertsByRule: [String: Int]
        var alertsSuppressed: Int
        var logWriteFailures: UInt64
        var journalSendFailures: UInt64 = 0
        /// Lines stdout and stderr did not take (their reader gone).
        var streamWriteFailures: (stdout: UInt64, stderr: UInt64) = (0, 0)
        var metricsWriteFailures = 0
        var configReloads: (applied: Int, rejected: Int) = (0, 0)
        /// Per configured interface: whether it is being captured, and how often it went down.
        var interfaces: [String: InterfaceHealth] = [:]
        /// The prober's probes (follow-ups and watch list), skipped sessions and path checks.
        var probes = ProbeCounts()
        /// The observation store's writer (nil: `state.enabled` is false).
        var store: StoreCounters? = nil
        /// `metrics.listen`'s answers by HTTP status (nil: not listening).
        var scrapes: [Int: Int]? = nil
        /// Evidence bundles written, failed, removed (nil: `evidence.enabled` is false).
        var evidence: EvidenceDirectory.Counts? = nil

        /// Every worker's counters added up.
        var counters: Counters {
            var total = Counters()
            for worker in workers { total.merge(worker.counters) }
            return total
        }

        var activeFlows: Int { workers.reduce(0) { $0 + $1.activeFlows } }

        /// Per interface, every worker's kernel counts added up.
        var kernel: [String: KernelStatistics] {
            var total: [String: KernelStatistics] = [:]
            for worker in workers {
                for (interface, statistics) in worker.kernel { total[interface, default: KernelStatistics()] += statistics }
            }
            return total
        }
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
        metric("tcp_overlap_inconsistent_bytes_total",
               "Bytes where a later TCP copy differed from the copy examined (a way to show a monitor another certificate).",
               "counter", [("", "\(c[.overlapInconsistentBytes])")])
        metric("tcp_overlap_inconsistent_segments_total", "Segments that carried such differing bytes.", "counter",
               [("", "\(c[.segmentsOverlapInconsistent])")])
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
        metric("journal_send_failures_total",
               "Journal entries journald did not take (absent, stopped, queue full after waiting); their alerts went to stderr.",
               "counter", [("", "\(s.journalSendFailures)")])
        metric("output_write_failures_total", "Lines stdout or stderr did not take (their reader gone).", "counter",
               [("{stream=\"stdout\"}", "\(s.streamWriteFailures.stdout)"), ("{stream=\"stderr\"}", "\(s.streamWriteFailures.stderr)")])
        metric("metrics_write_failures_total", "Times this file could not be written.", "counter",
               [("", "\(s.metricsWriteFailures)")])
        metric("config_reloads_total", "Reloads (SIGHUP), by result: applied, or rejected with the running configuration kept.",
               "counter", [("{result=\"applied\"}", "\(s.configReloads.applied)"), ("{result=\"rejected\"}", "\(s.configReloads.rejected)")])
        metric("probes_total", "Probes the daemon made (follow-ups of unobservable sessions, the watch list), by result.", "counter",
               [ProbeDetails.Trigger.unobservedSession, .watchlist].flatMap { trigger in
                   [true, false].map { completed in
                       ("{trigger=\"\(trigger.rawValue)\",result=\"\(completed ? "completed" : "failed")\"}",
                        "\(s.probes.probes(trigger, completed: completed))")
                   }
               })
        metric("probe_skipped_total",
               "Sessions not probed, by reason: excluded, probed within cache_seconds, over max_per_minute, queue full, the prober's own connection.",
               "counter", FollowUpQueue.SkipReason.allCases.map { ("{reason=\"\($0.rawValue)\"}", "\(s.probes.skipped[$0] ?? 0)") })
        metric("probe_path_checks_total",
               "Watch-list TLS 1.2 probes whose own handshake passive capture saw (seen=\"true\") or did not see in time.",
               "counter", [("{seen=\"true\"}", "\(s.probes.pathChecks[true] ?? 0)"), ("{seen=\"false\"}", "\(s.probes.pathChecks[false] ?? 0)")])
        metric("probe_locations_total",
               "Searches for the interceptor after a probe's high or critical alert, by result (located: the forged chain came back at a TTL).",
               "counter", [("{result=\"located\"}", "\(s.probes.locations[true] ?? 0)"),
                           ("{result=\"not-located\"}", "\(s.probes.locations[false] ?? 0)")])
        if let store = s.store { storeMetrics(store, metric) }
        if let evidence = s.evidence { evidenceMetrics(evidence, frames: s.workers, metric) }
        if let scrapes = s.scrapes {
            metric("metrics_requests_total", "Requests to metrics.listen, by HTTP status (200: GET /metrics).", "counter",
                   ([200, 400, 404, 405, 431] + scrapes.keys.filter { ![200, 400, 404, 405, 431].contains($0) }.sorted())
                       .map { ("{code=\"\($0)\"}", "\(scrapes[$0] ?? 0)") })
        }
        let health = s.interfaces.sorted { $0.key < $1.key }
        metric("interface_up", "1 while the interface is being captured, 0 while it is missing or failed and retried.", "gauge",
               health.map { ("{interface=\"\($0.key)\"}", $0.value.up ? "1" : "0") })
        metric("interface_failures_total", "Times the interface went down: could not be opened, or failed while captured.",
               "counter", health.map { ("{interface=\"\($0.key)\"}", "\($0.value.failures)") })
        let kernel = s.kernel.sorted { $0.key < $1.key }
        metric("kernel_dropped_total", "Packets the kernel dropped for lack of buffer space (pcap_stats, PACKET_STATISTICS).",
               "counter", kernel.map { ("{interface=\"\($0.key)\"}", "\($0.value.dropped)") })
        metric("kernel_received_total", "Packets the kernel passed to capture, dropped ones included (pcap_stats, PACKET_STATISTICS).",
               "counter", kernel.map { ("{interface=\"\($0.key)\"}", "\($0.value.received)") })
        metric("kernel_ring_full_total", "Times an AF_PACKET ring was found full (PACKET_STATISTICS tp_freeze_q_cnt).",
               "counter", kernel.map { ("{interface=\"\($0.key)\"}", "\($0.value.ringFull)") })
        let workers = s.workers.enumerated().map { (label: "worker=\"\($0.offset)\"", snapshot: $0.element) }
        metric("workers", "Capture threads.", "gauge", [("", "\(workers.count)")])
        metric("worker_packets_total", "Packets captured, per capture thread.", "counter",
               workers.map { ("{\($0.label)}", "\($0.snapshot.counters[.packets])") })
        metric("worker_flows_active", "Connections tracked now, per capture thread.", "gauge",
               workers.map { ("{\($0.label)}", "\($0.snapshot.activeFlows)") })
        metric("worker_kernel_dropped_total", "Packets the kernel dropped, per capture thread and interface.", "counter",
               workers.flatMap { worker in worker.snapshot.kernel.sorted { $0.key < $1.key }.map {
                   ("{\(worker.label),interface=\"\($0.key)\"}", "\($0.value.dropped)") } })
        metric("worker_kernel_received_total", "Packets the kernel passed to capture, per capture thread and interface.",
               "counter", workers.flatMap { worker in worker.snapshot.kernel.sorted { $0.key < $1.key }.map {
                   ("{\(worker.label),interface=\"\($0.key)\"}", "\($0.value.received)") } })
        return lines.joined(separator: "\n") + "\n"
    }

    /// The observation store's writer (`state.*`).
    static func storeMetrics(_ store: StoreCounters, _ metric: (String, String, String, [(String, String)]) -> Void) {
        metric("store_batches_total", "Batches of history the store's writer wrote (one transaction each), or attempts that failed.",
               "counter", [("{result=\"written\"}", "\(store.batchesWritten)"), ("{result=\"failed\"}", "\(store.batchesFailed)")])
        metric("store_observations_total", "Sessions folded into history and written to the store.", "counter",
               [("", "\(store.observationsWritten)")])
        metric("store_dropped_total", "Sessions not recorded in history: the writer's queue was full, or the store still failed at exit.",
               "counter", [("{reason=\"queue-full\"}", "\(store.droppedQueueFull)"),
                           ("{reason=\"store-failed\"}", "\(store.droppedStoreFailed)")])
        metric("store_removed_total", "Rows of history removed by retention_days and by max_bytes.", "counter",
               [("{reason=\"retention\"}", "\(store.removedByRetention)"), ("{reason=\"size-cap\"}", "\(store.removedBySizeCap)")])
        metric("store_queued_batches", "Batches waiting for the store's writer.", "gauge", [("", "\(store.queuedBatches)")])
        metric("store_bytes", "Bytes of data in the store at its last retention pass.", "gauge", [("", "\(store.storeBytes)")])
    }

    /// Evidence bundles (`evidence.*`) and the frames kept for them.
    static func evidenceMetrics(_ evidence: EvidenceDirectory.Counts, frames workers: [WorkerSnapshot],
                                _ metric: (String, String, String, [(String, String)]) -> Void) {
        var frames = EvidenceCounts()
        for worker in workers { frames.merge(worker.evidence) }
        metric("evidence_bundles_total", "Evidence bundles of alerting sessions, by result (failed, queue-full: the alert went out without one).",
               "counter", [("{result=\"written\"}", "\(evidence.written)"),
                           ("{result=\"failed\"}", "\(evidence.failed - evidence.queueFull)"),
                           ("{result=\"queue-full\"}", "\(evidence.queueFull)")])
        metric("evidence_removed_total", "Evidence bundles removed, oldest first, to stay within evidence.max_bytes.", "counter",
               [("", "\(evidence.removed)")])
        metric("evidence_bytes", "Bytes of the evidence bundles in evidence.dir.", "gauge", [("", "\(evidence.bytes)")])
        metric("evidence_frames_total",
               "Frames of followed handshakes kept for evidence, or left out: over a flow's limits, over the memcap, another link type.",
               "counter", [("{result=\"kept\"}", "\(frames.framesKept)"),
                           ("{result=\"over-flow-limit\"}", "\(frames.framesOverFlowLimit)"),
                           ("{result=\"over-memcap\"}", "\(frames.framesOverMemcap)"),
                           ("{result=\"other-link-type\"}", "\(frames.framesOtherLinkType)")])
    }

    /// Per interface, for `interface_up` and `interface_failures_total`.
    struct InterfaceHealth: Equatable {
        var up: Bool
        var failures: Int
    }

    /// Writes `text` to `path` atomically; false (errno set) on failure.
    @discardableResult
    static func write(_ text: String, to path: String) -> Bool {
        let temporary = path + ".tmp"
        let descriptor = unsafe open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return false }
        var copy = text
        // A short write means the disk ran out of room.
        let writeError = copy.withUTF8 { buffer -> Int32 in
            let count = unsafe Glibc.write(descriptor, buffer.baseAddress, buffer.count)
            return count < 0 ? errno : count == buffer.count ? 0 : ENOSPC
        }
        close(descriptor)
        let error = writeError != 0 ? writeError : unsafe rename(temporary, path) == 0 ? 0 : errno
        guard error == 0 else {
            _ = unsafe unlink(temporary)
            errno = error
            return false
        }
        return true
    }
}
