import Foundation

/// One run of a child process with its stdout going to a pipe the bench reads (or to a file),
/// timed from spawn to exit and end of output; its output counted as it goes by.
struct ChildRun {
    var wallNs: Double
    /// The child's user + system CPU (getrusage(RUSAGE_CHILDREN) before and after).
    var cpuNs: Double
    var exitStatus: Int32
    /// The child's stderr (kept to explain a failed run).
    var stderr: String
    var tally: OutputTally

    static func run(executable: String, arguments: [String], sink: ReadBench.Sink) throws -> ChildRun {
        let scratch = NSTemporaryDirectory() + "mitmwatch-bench-read-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let errorPath = scratch + "/stderr", outputPath = scratch + "/stdout"
        guard FileManager.default.createFile(atPath: errorPath, contents: nil),
              FileManager.default.createFile(atPath: outputPath, contents: nil),
              let errors = FileHandle(forWritingAtPath: errorPath),
              let file = FileHandle(forWritingAtPath: outputPath) else {
            throw BenchError("cannot create files in \(scratch)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardError = errors
        var tally = OutputTally()
        let pipe = Pipe()
        process.standardOutput = sink == .pipe ? pipe as Any : file as Any

        let cpuBefore = ChildUsage.cpuNs()
        let start = monotonicNanoseconds()
        do { try process.run() } catch { throw BenchError("cannot run \(executable): \(error)") }
        if sink == .pipe {
            let reader = pipe.fileHandleForReading
            while let chunk = try reader.read(upToCount: 1 << 16), !chunk.isEmpty { tally.scan(chunk) }
        }
        process.waitUntilExit()
        let wall = Double(monotonicNanoseconds() &- start)
        let cpu = ChildUsage.cpuNs() - cpuBefore
        try errors.close()
        try file.close()

        if sink == .file {  // counted after the run, not timed
            guard let written = FileHandle(forReadingAtPath: outputPath) else { throw BenchError("cannot read \(outputPath)") }
            while let chunk = try written.read(upToCount: 1 << 20), !chunk.isEmpty { tally.scan(chunk) }
            try written.close()
        }
        let message = String(decoding: FileManager.default.contents(atPath: errorPath) ?? Data(), as: UTF8.self)
        return ChildRun(wallNs: wall, cpuNs: cpu, exitStatus: process.terminationStatus, stderr: message, tally: tally)
    }
}

/// What a run of `mitmwatch read --format json` printed: bytes, lines, session records, alerts.
/// Matched on the exact bytes JSONObjectWriter prints (inside a JSON string a quote is escaped,
/// so `"kind":"alert"` can only be the key and value themselves).
struct OutputTally: Equatable {
    var bytes = 0
    var lines = 0
    var sessions = 0
    var alerts = 0
    var missingSCT = 0
    private var matchers = [StreamMatcher("\"dataset\":\"mitmwatch.tls\""), StreamMatcher("\"kind\":\"alert\""),
                            StreamMatcher("\"id\":\"missing-sct\"")]

    init() {}

    mutating func scan(_ chunk: Data) {
        let bytes = [UInt8](chunk)
        self.bytes += bytes.count
        for byte in bytes {
            if byte == UInt8(ascii: "\n") { lines += 1 }
            for index in matchers.indices { matchers[index].feed(byte) }
        }
        sessions = matchers[0].count
        alerts = matchers[1].count
        missingSCT = matchers[2].count
    }

    static func == (a: OutputTally, b: OutputTally) -> Bool {
        (a.bytes, a.lines, a.sessions, a.alerts, a.missingSCT) == (b.bytes, b.lines, b.sessions, b.alerts, b.missingSCT)
    }
}

/// Counts the occurrences of one byte pattern in a stream fed a byte at a time (Knuth-Morris-Pratt,
/// so a match that begins inside a failed partial match is not missed).
struct StreamMatcher {
    private let pattern: [UInt8]
    private let fallback: [Int]
    private var matched = 0
    private(set) var count = 0

    init(_ text: String) {
        pattern = Array(text.utf8)
        var fallback = [Int](repeating: 0, count: pattern.count)
        var length = 0
        for index in 1..<pattern.count {
            while length > 0 && pattern[index] != pattern[length] { length = fallback[length - 1] }
            if pattern[index] == pattern[length] { length += 1 }
            fallback[index] = length
        }
        self.fallback = fallback
    }

    @inline(__always)
    mutating func feed(_ byte: UInt8) {
        if matched == 0 && byte != pattern[0] { return }
        while matched > 0 && pattern[matched] != byte { matched = fallback[matched - 1] }
        if pattern[matched] == byte { matched += 1 }
        if matched == pattern.count {
            count += 1
            matched = fallback[matched - 1]
        }
    }
}

/// What one command's output must hold.
struct ExpectedOutput {
    var sessions: Int
    var alerts: Int
    var missingSCT: Int
}

/// One measured command: its runs, their spread, and whether each printed what it must.
struct ReadRow {
    var label: String
    var command: String
    var runs: [ChildRun]
    var handshakes: Int
    /// nil: not checked here (tshark's count is checked by the caller).
    var expect: ExpectedOutput?

    private var walls: [Double] { runs.map(\.wallNs).sorted() }
    var medianNs: Double { percentile(walls, 0.5) }
    var p10Ns: Double { percentile(walls, 0.1) }
    var p90Ns: Double { percentile(walls, 0.9) }
    var cpuMedianNs: Double { percentile(runs.map(\.cpuNs).sorted(), 0.5) }
    var handshakesPerSecond: Double { Double(handshakes) / (medianNs / 1e9) }
    var tally: OutputTally { runs.first?.tally ?? OutputTally() }

    var problems: [String] {
        guard let expect else { return [] }
        var problems: [String] = []
        for (index, run) in runs.enumerated() {
            if run.exitStatus != 0 {
                problems.append("\(label), run \(index + 1): exit status \(run.exitStatus): \(run.stderr.prefix(500))")
            }
            if run.tally != tally {
                problems.append("\(label), run \(index + 1): printed \(run.tally.bytes) bytes, \(run.tally.lines) lines; run 1: \(tally.bytes), \(tally.lines)")
            }
        }
        let t = tally
        if t.sessions != expect.sessions || t.alerts != expect.alerts || t.missingSCT != expect.missingSCT
            || t.lines != t.sessions + t.alerts {
            problems.append("\(label): \(t.lines) lines, \(t.sessions) session records, \(t.alerts) alerts "
                + "(\(t.missingSCT) missing-sct); expected \(expect.sessions) session records, \(expect.alerts) alerts "
                + "(\(expect.missingSCT) missing-sct), one record a line")
        }
        return problems
    }
}
