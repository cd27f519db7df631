import ArgumentParser
import BenchAllocationCounter
import Detector
import Foundation
import Output
import Sniffer
import Certificates

/// The cost of writing JSON records: session records and alerts (with the leaf's x509 fields)
/// appended to the reusable buffer `read` and the daemon write from.
struct RecordsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "records",
        abstract: "JSON records: ns and heap allocations per session record and per alert.",
        discussion: """
        Runs the capture once through Pipeline + DetectionObserver (rules as --rules) and keeps every \
        session report (not timed). Then times --iterations passes writing the session record of every \
        report, and passes writing the alert of every finding (leaf x509 fields included, no PEM chain), \
        into one JSONBuffer emptied whenever it reaches 64 KiB, as `mitmwatch read --format json` does. \
        Reports the median ns per record (p10/p90 across passes), heap allocations and bytes per record \
        (one counted pass) and the bytes of JSON per record.
        """
    )

    @Option(help: "Capture file (pcap or pcapng).")
    var capture: String

    @Option(help: "Timed passes over all records.")
    var iterations = 20

    @Option(help: "indicators (built-in indicators only) or daemon-default (also untrusted-chain and missing-sct against the trust store).")
    var rules: PipelineBench.RuleChoice = .daemonDefault

    @Option(help: "Trust store for --rules daemon-default (default: the system's).")
    var trustStore: String?

    mutating func run() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
        try requireAllocationCounter()
        var frames = try CapturedFrames.load(path: capture)
        frames.detection = try rules == .daemonDefault ? DaemonDefaultRules(trustStore: trustStore) : nil
        let indicators = IndicatorSet.builtIn()
        let reports = frames.reports(indicators: indicators)
        var alerts: [(finding: Finding, report: SessionReport)] = []
        for report in reports { for finding in report.findings { alerts.append((finding, report)) } }
        guard !reports.isEmpty else { throw BenchError("no sessions in \(capture)") }

        let sessions = measureRecords("session record", count: reports.count, iterations: iterations) { json in
            var total = 0
            for report in reports {
                SessionRecord.write(report, into: &json)
                if json.count >= 64 << 10 { total += json.count; json.removeAll() }
            }
            return total + json.count
        }
        print(sessions.text)
        guard !alerts.isEmpty else {
            print("alerts: none in this capture (use one with interception chains)")
            return
        }
        let alertResult = measureRecords("alert", count: alerts.count, iterations: iterations) { json in
            var total = 0
            for (finding, report) in alerts {
                AlertRecord.write(finding, report: report, indicators: indicators, includeChain: false,
                                  suppressedBefore: 0, into: &json)
                if json.count >= 64 << 10 { total += json.count; json.removeAll() }
            }
            return total + json.count
        }
        print(alertResult.text)
    }
}

struct RecordResult {
    var name: String
    var records: Int
    var iterations: Int
    var nsMedian: Double
    var nsP10: Double
    var nsP90: Double
    var allocations: Double
    var allocatedBytes: Double
    var jsonBytes: Double

    var text: String {
        func fixed(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
        return "\(name): \(records) records, \(iterations) passes: \(fixed(nsMedian)) ns/record "
            + "(p10 \(fixed(nsP10)), p90 \(fixed(nsP90))), \(fixed(allocations, 2)) allocations/record "
            + "(\(fixed(allocatedBytes)) bytes), \(fixed(jsonBytes)) bytes of JSON/record"
    }
}

/// One warm-up pass (which gives the JSON size), one pass counting allocations, then
/// `iterations` timed passes. `pass` writes every record and returns the bytes it wrote.
func measureRecords(_ name: String, count: Int, iterations: Int, _ pass: (inout JSONBuffer) -> Int) -> RecordResult {
    var json = JSONBuffer(capacity: 128 << 10)
    let written = pass(&json)
    json.removeAll()
    mw_alloc_counter_start()
    _ = pass(&json)
    let counts = mw_alloc_counter_stop()
    var perRecord: [Double] = []
    for _ in 0..<iterations {
        json.removeAll()
        let start = monotonicNanoseconds()
        _ = pass(&json)
        perRecord.append(Double(monotonicNanoseconds() &- start) / Double(count))
    }
    perRecord.sort()
    return RecordResult(name: name, records: count, iterations: iterations, nsMedian: percentile(perRecord, 0.5),
                        nsP10: percentile(perRecord, 0.1), nsP90: percentile(perRecord, 0.9),
                        allocations: Double(counts.allocations) / Double(count),
                        allocatedBytes: Double(counts.bytes) / Double(count), jsonBytes: Double(written) / Double(count))
}

extension CapturedFrames {
    /// Every session report of one pass of a fresh pipeline over the frames.
    func reports(indicators: IndicatorSet) -> [SessionReport] {
        let collected = ReportBox()
        let configuration = detection?.configuration(indicators) ?? DetectionConfiguration(indicators: indicators)
        var pipeline = Pipeline(observer: DetectionObserver(rules: RuleSet(configuration)) { collected.reports.append($0) })
        let all = storage.span
        for index in ranges.indices {
            pipeline.process(frame: all.extracting(ranges[index]), originalLength: wireLengths[index],
                             linkType: linkType, at: times[index])
        }
        pipeline.finish()
        return collected.reports
    }
}

final class ReportBox {
    var reports: [SessionReport] = []
}
