import Detector
import Output

/// What `read` prints of one session's report — its session record and its alerts, in the
/// format and for the events asked — appended to a buffer. One per worker.
struct ReadRecords {
    let format: ReadCommand.Format
    let events: ReadCommand.Events
    let includeChain: Bool
    let indicators: IndicatorSet
    /// Decides in the order reports come, so `--dedup` runs on one worker.
    var deduplicator: AlertDeduplicator?
    /// `--sensor`: named in every record (`observer.name`).
    var sensor: String? = nil
    /// `--evidence`: a bundle per alerting session (shared by the workers).
    var evidence: EvidenceWriter? = nil
    private(set) var alerts = 0

    var suppressed: Int { deduplicator?.suppressedTotal ?? 0 }

    mutating func append(_ report: SessionReport, into output: inout JSONBuffer) {
        if events != .alerts {
            if format == .json {
                SessionRecord.write(report, sensor: sensor, into: &output)
            } else {
                if let probe = report.probe {
                    output.appendLine("probe through this gateway (\(probe.trigger.rawValue); offered TLS "
                        + probe.offeredVersions.joined(separator: ", ")
                        + (probe.negotiatedALPN.map { "; ALPN \($0)" } ?? "") + "):")
                }
                output.appendLine(SessionRecord.text(report.session))
            }
        }
        guard events != .sessions else { return }
        var raised: [(finding: Finding, suppressedBefore: Int)] = []
        for finding in report.findings {
            var suppressedBefore = 0
            if deduplicator != nil {
                let decision = deduplicator!.admit(finding, report.session, observation: report.observation)
                guard decision.emit else { continue }
                suppressedBefore = decision.suppressedBefore
            }
            raised.append((finding, suppressedBefore))
        }
        guard !raised.isEmpty else { return }
        // The bundle is queued before the alerts that name it go out (waiting for room: a capture
        // read offline loses nothing); its alert.json holds the JSON lines.
        var folder = evidence?.reserve(report.session)
        var json = JSONBuffer(capacity: folder == nil ? 0 : 4096)
        if let reserved = folder, let evidence {
            for (finding, suppressedBefore) in raised {
                AlertRecord.write(finding, report: report, indicators: indicators, includeChain: includeChain,
                                  suppressedBefore: suppressedBefore, evidence: reserved, sensor: sensor, into: &json)
            }
            if !evidence.submit(report, alertLines: json.bytes, to: reserved, wait: true) {
                folder = nil
            }
        }
        if format == .json, folder != nil {
            output.append(records: json)
            alerts += raised.count  // written (into the buffer that goes out) before they are counted
            return
        }
        for (finding, suppressedBefore) in raised {
            if format == .json {
                AlertRecord.write(finding, report: report, indicators: indicators, includeChain: includeChain,
                                  suppressedBefore: suppressedBefore, sensor: sensor, into: &output)
            } else {
                output.appendLine(AlertRecord.text(finding, report: report, indicators: indicators))
                if let folder { output.appendLine("  evidence: \(folder)") }
            }
            alerts += 1  // written (into the buffer that goes out) before it is counted
        }
    }
}
