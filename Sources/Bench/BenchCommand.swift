import ArgumentParser
import Foundation
import Wire
import Certificates

@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mitmwatch-bench",
        abstract: "Benchmarks of mitmwatch's parsers against reference implementations.",
        subcommands: [X509Bench.self, PipelineBench.self, FlowsBench.self, ReadBench.self, RecordsBench.self]
    )
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct X509Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "x509",
        abstract: "Certificate parsing: mitmwatch's CertificateView vs OpenSSL d2i_X509 vs swift-certificates.",
        discussion: """
        Loads every PEM and DER certificate under --corpus (recursively, duplicates kept once), \
        keeps those all three parsers accept, and measures each parser on the same in-memory DER: \
        median ns per certificate over --iterations passes (p10/p90 across passes) and heap \
        allocations per certificate (malloc/calloc/realloc/aligned variants, one counted pass).
        """
    )

    @Option(help: "Directory of PEM/DER certificates (searched recursively).")
    var corpus: String

    @Option(help: "Timed passes over the whole corpus per parser.")
    var iterations = 200

    @Option(help: "Output format: text or json (one object per line).")
    var format: OutputFormat = .text

    @Option(name: .customLong("parser"),
            help: "Measure only this parser (repeatable; for profiling). Default: all four.")
    var parsers: [String] = []

    mutating func run() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }

        let selfTest = try requireAllocationCounter()

        let loaded = try Corpus.load(directory: corpus)
        guard loaded.count > 0 else { throw BenchError("no certificates under \(corpus)") }

        // Only certificates every parser accepts, so all of them do the same work.
        var rejectedBy: [String: Int] = ["mitmwatch-view": 0, "openssl-d2i_X509+getters": 0, "swift-certificates": 0]
        let all = loaded.storage
        let common = loaded.filter { index in
            let der = all.span.extracting(loaded.ranges[index])
            var accepted = true
            if Parsers.mitmwatchView(der) == Parsers.rejected { rejectedBy["mitmwatch-view", default: 0] += 1; accepted = false }
            if Parsers.openSSL(der) == Parsers.rejected { rejectedBy["openssl-d2i_X509+getters", default: 0] += 1; accepted = false }
            if Parsers.swiftCertificates(der) == Parsers.rejected { rejectedBy["swift-certificates", default: 0] += 1; accepted = false }
            return accepted
        }
        guard common.count > 0 else { throw BenchError("no certificate under \(corpus) is accepted by all parsers") }

        let known = ["mitmwatch-view", "mitmwatch-view+sha256", "openssl-d2i_X509+getters", "swift-certificates"]
        if let unknown = parsers.first(where: { !known.contains($0) }) {
            throw ValidationError("unknown parser \(unknown); one of: \(known.joined(separator: ", "))")
        }
        func selected(_ name: String) -> Bool { parsers.isEmpty || parsers.contains(name) }
        var results: [ParserResult] = []
        if selected(known[0]) {
            results.append(measure(known[0], corpus: common, iterations: iterations) { Parsers.mitmwatchView($0) })
        }
        if selected(known[1]) {
            results.append(measure(known[1], corpus: common, iterations: iterations) { Parsers.mitmwatchViewSHA256($0) })
        }
        if selected(known[2]) {
            results.append(measure(known[2], corpus: common, iterations: iterations) { Parsers.openSSL($0) })
        }
        if selected(known[3]) {
            results.append(measure(known[3], corpus: common, iterations: iterations) { Parsers.swiftCertificates($0) })
        }

        if let unstable = results.first(where: { $0.mismatchedPasses > 0 }) {
            throw BenchError("\(unstable.name): \(unstable.mismatchedPasses) passes gave a different checksum than the warm-up")
        }

        let report = Report(
            corpusPath: corpus, loaded: loaded, common: common, rejectedBy: rejectedBy,
            selfTest: selfTest, results: results
        )
        switch format {
        case .text: print(report.text())
        case .json: print(report.json())
        }
    }
}
