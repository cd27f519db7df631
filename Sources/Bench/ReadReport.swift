import Foundation

/// `mitmwatch-bench read`'s results: a table of commands against tshark, then the pipeline.
struct ReadReport {
    var capture: String
    var manifest: String
    var trustStore: String
    var mitmwatch: String
    var sink: ReadBench.Sink
    var manifestData: CaptureManifest
    var rows: [ReadRow]
    var tshark: ReadRow?
    var tsharkVersion: String
    var pipeline: InProcessPipeline?
    var childPeakRSSKiB: Int
    var loadBefore: String
    var loadAfter: String
    var failures: [String]

    private var sinkText: String {
        sink == .pipe ? "a pipe the bench reads and counts as it comes (as `| jq` or a log shipper would)"
                      : "a file (counted after the run)"
    }

    private func ratio(_ nanoseconds: Double) -> Double? { tshark.map { $0.medianNs / nanoseconds } }
    /// The same on CPU time (child user + system, medians): less sensitive to the machine's load.
    private func cpuRatio(_ nanoseconds: Double) -> Double? { tshark.map { $0.cpuMedianNs / nanoseconds } }

    func text() -> String {
        func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
        func seconds(_ nanoseconds: Double) -> String { fixed(nanoseconds / 1e9, 3) }
        var lines = [
            "capture: \(capture) (\(manifestData.handshakes) handshakes, \(manifestData.names) names, "
                + "\(manifestData.chains.count) chains; manifest \(manifest))",
            "mitmwatch: \(mitmwatch); trust store: \(trustStore)",
            "stdout of mitmwatch: \(sinkText)",
            "load average before / after: \(loadBefore) / \(loadAfter) (\(ProcessInfo.processInfo.activeProcessorCount) CPUs)",
            "",
            "| command | runs | median s | p10 s | p90 s | child CPU s | handshakes/s | vs tshark | vs tshark (CPU) | output bytes | session records | alerts (missing-sct) | check |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for row in rows {
            let t = row.tally
            lines.append("| \(row.label) | \(row.runs.count) | \(seconds(row.medianNs)) | \(seconds(row.p10Ns)) | \(seconds(row.p90Ns)) "
                + "| \(seconds(row.cpuMedianNs)) | \(fixed(row.handshakesPerSecond, 0)) "
                + "| \(ratio(row.medianNs).map { fixed($0, 1) + "x" } ?? "-") "
                + "| \(cpuRatio(row.cpuMedianNs).map { fixed($0, 1) + "x" } ?? "-") | \(t.bytes) | \(t.sessions) "
                + "| \(t.alerts) (\(t.missingSCT)) | \(row.problems.isEmpty ? "ok" : "FAILED") |")
        }
        if let tshark {
            lines.append("| tshark | \(tshark.runs.count) | \(seconds(tshark.medianNs)) | \(seconds(tshark.p10Ns)) "
                + "| \(seconds(tshark.p90Ns)) | \(seconds(tshark.cpuMedianNs)) | \(fixed(tshark.handshakesPerSecond, 0)) | 1.0x | 1.0x "
                + "| \(tshark.tally.bytes) | \(tshark.tally.lines) Certificate messages | - "
                + "| \(tshark.tally.lines == manifestData.expected.certificateMessages ? "ok" : "FAILED") |")
        }
        if let pipeline {
            let p = pipeline.passNs
            lines.append("| pipeline, in process, no output | \(p.count) | \(seconds(pipeline.medianNs)) | \(seconds(percentile(p, 0.1))) "
                + "| \(seconds(percentile(p, 0.9))) | - | \(fixed(pipeline.handshakesPerSecond, 0)) "
                + "| \(ratio(pipeline.medianNs).map { fixed($0, 1) + "x" } ?? "-") | - | - | \(pipeline.outcome.sessions) "
                + "| \(pipeline.outcome.findings) findings | \(pipeline.outcome.findings == manifestData.expected.alerts ? "ok" : "FAILED") |")
        }
        lines += ["", "commands:"]
        for row in rows { lines.append("  \(row.label): \(row.command)") }
        if let tshark { lines.append("  tshark (\(tsharkVersion)): \(tshark.command)") }
        lines.append("peak RSS of a mitmwatch run: \(childPeakRSSKiB / 1024) MiB (the largest child of the first round, before tshark ran)")
        if let pipeline {
            lines += [
                "pipeline (as `pipeline --rules daemon-default`, this trust store; \(pipeline.packets) packets):",
                "  heap allocations per handshake: \(fixed(pipeline.allocationsPerHandshake, 1)) "
                    + "(\(pipeline.outcome.sessionsWithChain) handshakes, \(pipeline.outcome.findings) with a missing-sct finding)",
                "  per clean handshake:            \(fixed(pipeline.allocationsPerCleanHandshake, 1)) "
                    + "(a pass with missing-sct off: every session takes the clean path; \(pipeline.cleanOutcome.findings) findings)",
                "  extra per missing-sct alert:    \(fixed(pipeline.extraAllocationsPerAlert, 1))",
            ]
        }
        if !failures.isEmpty { lines += ["", "FAILED:"] + failures.map { "  " + $0 } }
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        func number(_ value: Double) -> String { value.isFinite ? String(format: "%.6f", value) : "null" }
        func string(_ value: String) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: [value], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
            return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        }
        func row(_ row: ReadRow, extra: [String]) -> String {
            let fields = [
                "\"label\":\(string(row.label))", "\"command\":\(string(row.command))", "\"runs\":\(row.runs.count)",
                "\"wall_s_median\":\(number(row.medianNs / 1e9))", "\"wall_s_p10\":\(number(row.p10Ns / 1e9))",
                "\"wall_s_p90\":\(number(row.p90Ns / 1e9))", "\"cpu_s_median\":\(number(row.cpuMedianNs / 1e9))",
                "\"handshakes_per_s\":\(number(row.handshakesPerSecond))",
                "\"ratio_vs_tshark\":\(ratio(row.medianNs).map(number) ?? "null")",
                "\"cpu_ratio_vs_tshark\":\(cpuRatio(row.cpuMedianNs).map(number) ?? "null")",
            ] + extra
            return "{" + fields.joined(separator: ",") + "}"
        }
        var fields = [
            "\"capture\":\(string(capture))", "\"manifest\":\(string(manifest))", "\"trust_store\":\(string(trustStore))",
            "\"mitmwatch\":\(string(mitmwatch))", "\"sink\":\"\(sink.rawValue)\"", "\"handshakes\":\(manifestData.handshakes)",
            "\"load_before\":\(string(loadBefore))", "\"load_after\":\(string(loadAfter))",
            "\"child_peak_rss_kib\":\(childPeakRSSKiB)",
        ]
        let commandRows = rows.map { r in
            row(r, extra: ["\"output_bytes\":\(r.tally.bytes)", "\"lines\":\(r.tally.lines)", "\"session_records\":\(r.tally.sessions)",
                           "\"alerts\":\(r.tally.alerts)", "\"missing_sct_alerts\":\(r.tally.missingSCT)",
                           "\"correct\":\(r.problems.isEmpty)"])
        }
        fields.append("\"commands\":[" + commandRows.joined(separator: ",") + "]")
        if let tshark {
            fields.append("\"tshark\":" + row(tshark, extra: ["\"version\":\(string(tsharkVersion))",
                                                             "\"certificate_messages\":\(tshark.tally.lines)",
                                                             "\"output_bytes\":\(tshark.tally.bytes)"]))
        }
        if let pipeline {
            fields.append("\"pipeline\":{" + [
                "\"passes\":\(pipeline.passNs.count)", "\"pass_s_median\":\(number(pipeline.medianNs / 1e9))",
                "\"pass_s_p10\":\(number(percentile(pipeline.passNs, 0.1) / 1e9))",
                "\"pass_s_p90\":\(number(percentile(pipeline.passNs, 0.9) / 1e9))",
                "\"handshakes_per_s\":\(number(pipeline.handshakesPerSecond))",
                "\"ratio_vs_tshark\":\(ratio(pipeline.medianNs).map(number) ?? "null")",
                "\"sessions_with_chain\":\(pipeline.outcome.sessionsWithChain)", "\"findings\":\(pipeline.outcome.findings)",
                "\"allocs_per_handshake\":\(number(pipeline.allocationsPerHandshake))",
                "\"allocs_per_clean_handshake\":\(number(pipeline.allocationsPerCleanHandshake))",
                "\"extra_allocs_per_missing_sct_alert\":\(number(pipeline.extraAllocationsPerAlert))",
            ].joined(separator: ",") + "}")
        }
        fields.append("\"failures\":[" + failures.map(string).joined(separator: ",") + "]")
        return "{" + fields.joined(separator: ",") + "}"
    }
}
