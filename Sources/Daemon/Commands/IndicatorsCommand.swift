import ArgumentParser
import Detector
import Certificates

/// `mitmwatch indicators list|show ID|check FILE`: what is loaded, and why.
struct IndicatorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "indicators",
        abstract: "List, show and check the interception indicators mitmwatch loads.",
        subcommands: [List.self, Show.self, Check.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per loaded indicator.")
        @OptionGroup var detection: DetectionOptions

        mutating func run() throws {
            let set = try detection.setup.indicatorSet()
            for indicator in set.indicators {
                let keys = [indicator.sha256.map { "sha256=" + $0.prefix(16) + "…" },
                            indicator.spkiSHA256.map { "spki=" + $0.prefix(16) + "…" },
                            indicator.sha256 == nil ? indicator.sha1.map { "sha1=" + $0 } : nil].compactMap { $0 }
                StandardStreams.writeLine([indicator.id, indicator.signal.rawValue, indicator.country ?? "-",
                                           indicator.years ?? "-", indicator.name, keys.joined(separator: " ")]
                    .joined(separator: "\t"))
            }
            printToStandardError("\(set.indicators.count) indicators")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every field and the provenance of one indicator.")
        @OptionGroup var detection: DetectionOptions
        @Argument(help: "The indicator's id (see `indicators list`).") var id: String

        mutating func run() throws {
            let set = try detection.setup.indicatorSet()
            guard let indicator = set.indicator(id: id) else {
                throw ValidationError("no indicator with id \(id); `mitmwatch indicators list` shows them")
            }
            func line(_ label: String, _ value: String?) {
                if let value { StandardStreams.writeLine(label + String(repeating: " ", count: max(1, 14 - label.count)) + value) }
            }
            line("id", indicator.id)
            line("name", indicator.name)
            line("signal", indicator.signal.rawValue)
            line("kind", indicator.kind)
            line("country", indicator.country)
            line("years", indicator.years)
            line("subject", indicator.subject)
            line("issuer", indicator.issuer)
            line("serial", indicator.serial)
            line("validity", indicator.notBefore.map { "\($0) → \(indicator.notAfter ?? "?")" })
            line("sha256", indicator.sha256)
            line("spki sha256", indicator.spkiSHA256)
            line("sha1", indicator.sha1)
            line("key id", indicator.subjectKeyIdentifier)
            line("certificate", indicator.certificateDER == nil ? "not known (matches by digest or name only)" : "known (signatures are verified)")
            line("verification", indicator.verification)
            line("origin", indicator.origin)
            for source in indicator.sources { line("source", source) }
            line("notes", indicator.notes)
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the certificates in a PEM/DER file (a chain, leaf first) against the indicators.")
        @OptionGroup var detection: DetectionOptions
        @Argument(help: "PEM or DER file holding one certificate or a chain.") var file: String

        mutating func run() throws {
            let set = try detection.setup.indicatorSet()
            let entries = try CertificateFile.entries(in: try FileBytes.read(file))
            guard !entries.isEmpty else { throw ValidationError("\(file): no certificate found") }
            let findings = IndicatorCheck.findings(chain: entries.map(\.der), indicators: set)
            for (position, entry) in entries.enumerated() {
                let view = try CertificateView(der: entry.der.span)
                let description = CertificateDescription(view)
                StandardStreams.writeLine("[\(position)] \(description.subject)  (sha256 \(description.sha256))")
                for finding in findings where finding.position == position {
                    let indicator = set.indicators[finding.indicator ?? 0]
                    var text = "    \(finding.rule.rawValue): \(finding.matchType?.rawValue ?? "?") match with \(indicator.id) — \(indicator.name)"
                    if let verified = finding.signatureVerified { text += verified ? " (signature verified)" : " (signature does NOT verify)" }
                    StandardStreams.writeLine(text)
                }
            }
            if findings.isEmpty { StandardStreams.writeLine("no indicator matches") }
            if findings.contains(where: { $0.rule == .knownInterceptionCA }) { throw ExitCode(3) }
        }
    }
}
