import ArgumentParser
import BenchAllocationCounter
import Detector
import Foundation
import Glibc

/// The path users run: the real `mitmwatch read` executable over a capture, output and all, as a
/// child process, against tshark in the same run; the in-process pipeline beside it.
struct ReadBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "The real `mitmwatch read` over a capture (child process, output read), vs tshark.",
        discussion: """
        Runs `mitmwatch read --quiet --format json --events all|alerts --trust-store ROOT CAPTURE` \
        (default rules: missing-sct on, as users run it; as many workers as `read` chooses — one per \
        core but one for input of 4 MiB or more) --iterations times each, as a child \
        process, timing wall clock from spawn to exit and end of output, and the child's CPU \
        (user + system, getrusage(RUSAGE_CHILDREN) around each run). Output goes to a pipe the \
        bench reads and counts (--sink pipe: what `| jq` or a log shipper does) or to a file \
        (--sink file), then is checked against the capture's manifest (scripts/make-bench-capture.py \
        --variant local-pki): session records, alerts and missing-sct alerts must be the expected \
        counts, or the bench fails. Baseline: `tshark -r CAPTURE -Y tls.handshake.type==11 -T fields \
        -e tls.handshake.certificate` (as `pipeline`; its stdout read the same way), --tshark-iterations \
        times, in the same rounds. Then the \
        in-process pipeline (no output) with the same rules and trust store: median pass, heap \
        allocations per handshake, and per clean handshake (a pass with missing-sct off, where \
        every session of the capture takes the clean path).
        """
    )

    @Option(help: "Capture file (pcap or pcapng).")
    var capture: String

    @Option(help: "The capture's manifest.json (default: CAPTURE without its extension, plus .pki/manifest.json).")
    var manifest: String?

    @Option(help: "Trust store for --trust-store (default: the manifest's, beside it).")
    var trustStore: String?

    @Option(help: "The mitmwatch executable (default: beside this one).")
    var mitmwatch: String?

    @Option(help: "Runs of each mitmwatch command.")
    var iterations = 5

    @Option(help: "Runs of tshark.")
    var tsharkIterations = 3

    @Option(help: "tshark executable for the baseline (\"none\" to skip it).")
    var tshark = "/usr/bin/tshark"

    @Option(help: "pipe (read and counted by the bench) or file (a temporary file, counted after the run).")
    var sink: Sink = .pipe

    @Option(help: "Timed in-process pipeline passes (0: skip the pipeline).")
    var pipelineIterations = 5

    @Flag(help: "Also run both commands with --no-missing-sct (no alerts expected).")
    var withNoMissingSct = false

    @Flag(help: "Also run both commands with --workers 2 (on 2 cores `read` uses one worker by default).")
    var withTwoWorkers = false

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    enum Sink: String, ExpressibleByArgument { case pipe, file }

    mutating func run() throws {
        guard iterations > 0, tsharkIterations > 0, pipelineIterations >= 0 else {
            throw ValidationError("--iterations and --tshark-iterations must be positive, --pipeline-iterations not negative")
        }
        let manifestPath = manifest ?? (capture as NSString).deletingPathExtension + ".pki/manifest.json"
        let expected = try CaptureManifest.load(manifestPath)
        let store = trustStore ?? ((manifestPath as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent(expected.trustStore)
        let executable = try mitmwatch ?? Self.besideThisExecutable("mitmwatch")
        let loadBefore = Self.loadAverage()

        var commands: [(label: String, arguments: [String], expect: ExpectedOutput)] = []
        let base = ["read", "--quiet", "--format", "json"]
        let sessions = expected.expected.sessions, alerts = expected.expected.alerts
        let missingSCT = expected.expected.alertsByRule["missing-sct"] ?? 0
        commands.append(("read --events all", base + ["--events", "all", "--trust-store", store, capture],
                         ExpectedOutput(sessions: sessions, alerts: alerts, missingSCT: missingSCT)))
        commands.append(("read --events alerts", base + ["--events", "alerts", "--trust-store", store, capture],
                         ExpectedOutput(sessions: 0, alerts: alerts, missingSCT: missingSCT)))
        if withTwoWorkers {
            commands.append(("read --events all --workers 2",
                             base + ["--events", "all", "--workers", "2", "--trust-store", store, capture],
                             ExpectedOutput(sessions: sessions, alerts: alerts, missingSCT: missingSCT)))
            commands.append(("read --events alerts --workers 2",
                             base + ["--events", "alerts", "--workers", "2", "--trust-store", store, capture],
                             ExpectedOutput(sessions: 0, alerts: alerts, missingSCT: missingSCT)))
        }
        if withNoMissingSct {
            commands.append(("read --events all --no-missing-sct",
                             base + ["--events", "all", "--no-missing-sct", "--trust-store", store, capture],
                             ExpectedOutput(sessions: sessions, alerts: 0, missingSCT: 0)))
            commands.append(("read --events alerts --no-missing-sct",
                             base + ["--events", "alerts", "--no-missing-sct", "--trust-store", store, capture],
                             ExpectedOutput(sessions: 0, alerts: 0, missingSCT: 0)))
        }

        // Rounds: each command once, then tshark once, so a change of load on this shared machine
        // falls on all of them alike.
        var runs = [[ChildRun]](repeating: [], count: commands.count)
        var tsharkRuns: [ChildRun] = []
        var childPeakRSSKiB = 0
        var failures: [String] = []
        for round in 0..<max(iterations, tshark == "none" ? 0 : tsharkIterations) {
            if round < iterations {
                for (index, command) in commands.enumerated() {
                    runs[index].append(try ChildRun.run(executable: executable, arguments: command.arguments, sink: sink))
                }
            }
            if round == 0 { childPeakRSSKiB = ChildUsage.peakRSSKiB() }  // mitmwatch's children only, so far
            guard tshark != "none", round < tsharkIterations else { continue }
            let run = try ChildRun.run(executable: tshark, arguments: Self.tsharkArguments(capture), sink: sink)
            tsharkRuns.append(run)
            if run.exitStatus != 0 || run.tally.lines != expected.expected.certificateMessages {
                failures.append("tshark, run \(round + 1): exit status \(run.exitStatus), \(run.tally.lines) Certificate "
                    + "messages; the manifest expects \(expected.expected.certificateMessages)")
            }
        }
        let rows = commands.indices.map { index in
            ReadRow(label: commands[index].label, command: ([executable] + commands[index].arguments).joined(separator: " "),
                    runs: runs[index], handshakes: expected.handshakes, expect: commands[index].expect)
        }
        failures += rows.flatMap(\.problems)
        let baseline: ReadRow? = tsharkRuns.isEmpty ? nil
            : ReadRow(label: "tshark", command: ([tshark] + Self.tsharkArguments(capture)).joined(separator: " "),
                      runs: tsharkRuns, handshakes: expected.handshakes, expect: nil)
        let tsharkVersion = tsharkRuns.isEmpty ? "" : TSharkBaseline.version(tshark)

        var pipeline: InProcessPipeline?
        if pipelineIterations > 0 {
            let measured = try InProcessPipeline.measure(capture: capture, trustStore: store, iterations: pipelineIterations)
            if measured.outcome.sessionsWithChain != expected.expected.sessionsWithChain
                || measured.outcome.findings != alerts || measured.cleanOutcome.findings != 0 {
                failures.append("in-process pipeline: \(measured.outcome.sessionsWithChain) sessions with a chain and "
                    + "\(measured.outcome.findings) findings (missing-sct off: \(measured.cleanOutcome.findings)); "
                    + "expected \(expected.expected.sessionsWithChain), \(alerts) (0)")
            }
            pipeline = measured
        }

        let report = ReadReport(capture: capture, manifest: manifestPath, trustStore: store, mitmwatch: executable,
                                sink: sink, manifestData: expected, rows: rows, tshark: baseline,
                                tsharkVersion: tsharkVersion, pipeline: pipeline, childPeakRSSKiB: childPeakRSSKiB,
                                loadBefore: loadBefore, loadAfter: Self.loadAverage(), failures: failures)
        print(format == .json ? report.json() : report.text())
        if !failures.isEmpty {
            throw BenchError("the measured runs are not the expected ones:\n  " + failures.joined(separator: "\n  "))
        }
    }

    /// `pipeline`'s baseline command (`TSharkBaseline`): one line per Certificate message. Run
    /// here like mitmwatch (same sink, CPU from rusage), and without the `--version` run that
    /// `TSharkBaseline.run` makes, which would count in the child CPU.
    static func tsharkArguments(_ capture: String) -> [String] {
        ["-r", capture, "-Y", "tls.handshake.type==11", "-T", "fields", "-e", "tls.handshake.certificate"]
    }

    static func besideThisExecutable(_ name: String) throws -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let path = ((me as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchError("no \(name) executable at \(path) (build it, or give --mitmwatch)")
        }
        return path
    }

    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?")
            .split(separator: " ").prefix(3).joined(separator: " ")
    }
}

/// What the manifest says `mitmwatch read` must report on its capture.
struct CaptureManifest: Decodable {
    struct Expected: Decodable {
        var sessions: Int
        var sessionsWithChain: Int
        var certificateMessages: Int
        var alerts: Int
        var alertsByRule: [String: Int]

        enum CodingKeys: String, CodingKey {
            case sessions, alerts
            case sessionsWithChain = "sessions_with_chain"
            case certificateMessages = "certificate_messages"
            case alertsByRule = "alerts_by_rule"
        }
    }

    var handshakes: Int
    var trustStore: String
    var names: Int
    var chains: [Chain]
    var expected: Expected

    struct Chain: Decodable { var name: String }

    enum CodingKeys: String, CodingKey {
        case handshakes, names, chains, expected
        case trustStore = "trust_store"
    }

    static func load(_ path: String) throws -> CaptureManifest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BenchError("no manifest at \(path) (scripts/make-bench-capture.py --variant local-pki writes it; or give --manifest)")
        }
        do { return try JSONDecoder().decode(CaptureManifest.self, from: data) } catch {
            throw BenchError("\(path): not a capture manifest: \(error)")
        }
    }
}

/// What the children waited for so far used (getrusage(RUSAGE_CHILDREN)).
enum ChildUsage {
    private static func read() -> rusage {
        var usage = rusage()
        // unsafe: `usage` is a local the call fills in.
        _ = unsafe getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        return usage
    }

    /// CPU time (user + system) of all of them, in nanoseconds.
    static func cpuNs() -> Double {
        let usage = read()
        func ns(_ time: timeval) -> Double { Double(time.tv_sec) * 1e9 + Double(time.tv_usec) * 1e3 }
        return ns(usage.ru_utime) + ns(usage.ru_stime)
    }

    /// The largest resident set of any of them, in KiB.
    static func peakRSSKiB() -> Int { read().ru_maxrss }
}
