import Foundation
import ArgumentParser
import Detector
import Output
import Sniffer
import Store

/// `mitmwatch read FILE...`: process capture files and print one record per TLS session.
struct ReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Read pcap/pcapng files and report every TLS session and its certificate chain."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    enum Events: String, ExpressibleByArgument, CaseIterable {
        case sessions, alerts, all
    }

    @Argument(help: "Capture files (pcap or pcapng; - is standard input), processed in order as one stream.")
    var files: [String]

    @Option(help: "Output format: text (for people) or json (one ECS object per line).")
    var format: Format = .text

    @Option(help: "What to print: sessions, alerts, or all.")
    var events: Events = .all

    @OptionGroup var detection: DetectionOptions

    @Flag(help: "Suppress repeated alerts (same rule, CA key, server name and server) within --dedup-window.")
    var dedup = false

    @Option(help: "Seconds of capture time an alert suppresses its repeats, with --dedup.")
    var dedupWindow: Double = 3600

    @Flag(help: "Include the server's chain as PEM in alerts (tls.server.certificate_chain).")
    var certificateChain = false

    @OptionGroup var limits: LimitOptions

    @Option(help: ArgumentHelp(
        "Also fold every session into this observation store: a file (created if missing), as the daemon's state.path, or a postgresql://… URL, as state.url.",
        valueName: "path-or-url"))
    var state: String?

    @Option(help: "The sensor name the sessions are recorded under with --state (default: the host name), and named in every record (observer.name).")
    var sensor: String?

    @Option(help: ArgumentHelp(
        "Write an evidence bundle for each alerting session into this directory (made if missing): chain.pem, session.json, alert.json, handshake.pcap.",
        valueName: "dir"))
    var evidence: String?

    @Option(help: "The evidence directory's size cap in bytes, with --evidence (oldest bundles removed first).")
    var evidenceMaxBytes: Int64 = DaemonConfig.Evidence().maxBytes

    @Flag(help: "Do not print the summary on stderr.")
    var quiet = false

    @Option(help: "Summary on stderr: text (for people) or json (one object).")
    var summaryFormat: Format = .text

    @Option(help: ArgumentHelp(
        "Threads that read the capture, each following its share of the connections (0: one per core, one fewer when stdout is not a file).",
        discussion: "Several workers write the records in the order one would; --dedup, --state and standard input use one."))
    var workers: Int = 0

    /// Alerts name their bundles by absolute path.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    mutating func run() throws {
        guard (0...ReadPlan.maxWorkers).contains(workers) else {
            throw ValidationError("--workers must be from 0 (one per core) to \(ReadPlan.maxWorkers) (got \(workers))")
        }
        guard dedupWindow > 0, dedupWindow.isFinite else {
            throw ValidationError("--dedup-window must be a positive number of seconds (got \(dedupWindow))")
        }
        var captures: [PcapFile] = []
        for path in files {
            captures.append(try PcapFile(path: path))  // every file opens before any output
        }
        if let sensor, sensor.isEmpty || sensor.utf8.count > 255 {
            throw ValidationError("--sensor must be 1 to 255 bytes (got \(sensor.utf8.count))")
        }
        guard evidenceMaxBytes >= 1 << 20 else {
            throw ValidationError("--evidence-max-bytes must be at least 1048576 (1 MiB) (got \(evidenceMaxBytes))")
        }
        if let evidence, evidence.isEmpty { throw ValidationError("--evidence needs a directory (got an empty path)") }
        var configuration = try detection.setup.prepare()
        let location = state.map(StoreLocation.init)
        let sink = try location.map { location in try ReadStore.open(location, sensor: sensor) }
        if let location {
            // The history rules judge against what the store already holds, and learn as they read.
            configuration.history = HistorySeed.rules(location: location, settings: HistorySettings(),
                                                      say: { printToStandardError("mitmwatch: warning: \($0)") })
        }
        let records = ReadRecords(format: format, events: events, includeChain: certificateChain,
                                  indicators: configuration.indicators,
                                  deduplicator: dedup ? AlertDeduplicator(windowSeconds: dedupWindow) : nil,
                                  sensor: sensor,
                                  evidence: evidence.map {
                                      EvidenceWriter(directory: EvidenceDirectory(path: Self.absolute($0), maxBytes: evidenceMaxBytes),
                                                     sensor: sensor, say: { printToStandardError("mitmwatch: warning: \($0)") })
                                  })
        var limits = try self.limits.snifferLimits()
        if evidence != nil { limits.evidence = .bundles }
        let workerCount = ReadPlan.workerCount(requested: workers, ordered: dedup || state != nil, captures: captures)
        var summary: RunSummary
        if workerCount == 1 {
            summary = ReadPlan.runOne(captures, limits: limits, configuration: configuration, records: records, sink: sink)
        } else {
            summary = ReadPlan.runSharded(captures, workers: workerCount, limits: limits,
                                          configuration: configuration, records: records, sink: sink)
        }
        if let sink { ReadStore.finish(sink, quiet: quiet) }
        if let writer = records.evidence {
            writer.drain()
            let counts = writer.directory.counts
            summary.evidence = (written: counts.written, failed: counts.failed, removed: counts.removed)
        }
        summary.peakRSSBytes = ProcessMemory.peakResidentBytes()
        if !quiet { printToStandardError(summaryFormat == .json ? summary.json : summary.text) }
    }
}

/// Bounds a user can set on the command line; invalid values are rejected naming the option.
struct LimitOptions: ParsableArguments {
    /// Each listed certificate is fingerprinted, parsed and kept with its session: bounded.
    static let maxChainCertificatesLimit = 10_000

    @Option(help: "Connections tracked at once (least recently active evicted beyond).")
    var maxFlows: Int = FlowLimits().maxFlows

    @Option(help: "Seconds without a packet before a connection is expired.")
    var idleTimeout: Double = FlowLimits().idleTimeoutSeconds

    @Option(help: "Bytes one connection may hold in reassembly buffers.")
    var maxFlowBytes: Int = ReassemblyLimits().maxFlowBytes

    @Option(help: "Bytes all connections together may hold in reassembly buffers.")
    var memcap: Int = ReassemblyLimits().memcap

    @Option(help: "Certificates of one Certificate message examined; the rest is left out and the chain marked truncated.")
    var maxChainCertificates: Int = ReassemblyLimits().maxCertificatesPerChain

    func snifferLimits() throws -> SnifferLimits {
        guard maxFlows >= 1 else { throw ValidationError("--max-flows must be at least 1 (got \(maxFlows))") }
        guard idleTimeout > 0, idleTimeout.isFinite else {
            throw ValidationError("--idle-timeout must be a positive number of seconds (got \(idleTimeout))")
        }
        guard maxFlowBytes >= 4096 else {
            throw ValidationError("--max-flow-bytes must be at least 4096 (got \(maxFlowBytes))")
        }
        guard memcap >= maxFlowBytes else {
            throw ValidationError("--memcap must be at least --max-flow-bytes (\(maxFlowBytes)); got \(memcap)")
        }
        guard (1...Self.maxChainCertificatesLimit).contains(maxChainCertificates) else {
            throw ValidationError("--max-chain-certificates must be from 1 to \(Self.maxChainCertificatesLimit) "
                + "(got \(maxChainCertificates))")
        }
        var limits = SnifferLimits()
        limits.reassembly.maxCertificatesPerChain = maxChainCertificates
        limits.flows.maxFlows = maxFlows
        limits.flows.idleTimeoutSeconds = idleTimeout
        limits.reassembly.maxFlowBytes = maxFlowBytes
        limits.reassembly.memcap = memcap
        return limits
    }
}
