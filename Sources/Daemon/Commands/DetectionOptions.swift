import ArgumentParser
import Detector
import Foundation
import Certificates

/// Where indicators come from, shared by `read` and `indicators`.
struct DetectionOptions: ParsableArguments {
    @Option(name: .customLong("indicators"),
            help: "More indicators: a directory of PEM/DER certificates or a JSON list (repeatable).")
    var indicatorPaths: [String] = []

    @Flag(help: "Do not load the built-in indicator set.")
    var noBuiltinIndicators = false

    @Option(help: "Trust store for untrusted-chain: a PEM bundle or a directory of certificates (default: the system's).")
    var trustStore: String?

    @Option(help: "Sessions judged by untrusted-chain: public (names under a public suffix) or all.")
    var untrustedScope: UntrustedScope = .public

    @Option(name: .customLong("allow-inspection-ca"),
            help: "SPKI SHA-256 of a sanctioned inspection CA whose chains untrusted-chain accepts (repeatable).")
    var allowedInspectionCAs: [String] = []

    @Flag(help: "Do not run the untrusted-chain rule.")
    var noUntrustedChain = false

    @Flag(help: "Do not run the missing-sct rule.")
    var noMissingSct = false

    @Option(help: "Pins for pin-mismatch: a JSON file (see pins.example.json). Off when not given.")
    var pins: String?

    var setup: DetectionSetup {
        DetectionSetup(builtinIndicators: !noBuiltinIndicators, indicatorPaths: indicatorPaths, trustStore: trustStore,
                       untrustedScope: untrustedScope, allowedInspectionCAs: allowedInspectionCAs,
                       untrustedChain: !noUntrustedChain, missingSCT: !noMissingSct, pins: pins)
    }
}

/// Everything detection is configured with, from the command line or the config file.
struct DetectionSetup {
    var builtinIndicators = true
    var indicatorPaths: [String] = []
    var trustStore: String?
    var untrustedScope: UntrustedScope = .public
    var allowedInspectionCAs: [String] = []
    var untrustedChain = true
    var missingSCT = true
    var pins: String?
    /// Errors name config keys (`key 'indicators.paths'`, the daemon) rather than options (`--indicators`).
    var namesConfigKeys = false

    /// How an error names the setting: the option, or the config key.
    private func setting(_ option: String, _ key: String) -> String { namesConfigKeys ? "key '\(key)':" : option }

    /// The configured rule set, for one thread.
    func build() throws -> RuleSet { RuleSet(try prepare()) }

    /// Loads everything detection needs (indicators, trust store, public suffixes, pins) and
    /// checks it, once; each thread then makes its own `RuleSet` from it.
    func prepare() throws -> DetectionConfiguration {
        let store = (!untrustedChain && !missingSCT && pins == nil) ? nil : try trustStoreFile()
        let untrusted = untrustedChain && store != nil ? try untrustedChainScope() : nil
        var pinList: [PinMismatchRule.Pin]?
        if let path = pins {
            do { pinList = try PinMismatchRule.load(path: path) } catch { throw ValidationError("\(setting("--pins", "pins")) \(error.description)") }
        }
        return DetectionConfiguration(indicators: try indicatorSet(), trustStore: store, untrustedChain: untrusted,
                                      pins: pinList, missingSCT: missingSCT)
    }

    private func trustStoreFile() throws -> TrustStore {
        do { return try TrustStore(path: trustStore) } catch {
            throw ValidationError("\(setting("--trust-store", "trust_store")) \(trustStore ?? "(system)"): \(error)")
        }
    }

    private func untrustedChainScope() throws -> DetectionConfiguration.UntrustedChain {
        let suffixes: PublicSuffixList
        do { suffixes = try PublicSuffixList.system() } catch {
            throw ValidationError("\(error.description) — needed by \(namesConfigKeys ? "untrusted_scope" : "--untrusted-scope") public")
        }
        let allowList: InspectionAllowList
        do { allowList = try InspectionAllowList(spkiSHA256Hex: allowedInspectionCAs) } catch {
            throw ValidationError("\(setting("--allow-inspection-ca:", "allow_inspection_cas")) \(error.description)")
        }
        return DetectionConfiguration.UntrustedChain(scope: untrustedScope, publicSuffixes: suffixes, allowList: allowList)
    }

    func indicatorSet() throws -> IndicatorSet {
        var set = builtinIndicators ? IndicatorSet.builtIn() : IndicatorSet()
        let option = setting("--indicators", "indicators.paths")
        for path in indicatorPaths {
            var isDirectory = false
            guard FileBytes.exists(path, isDirectory: &isDirectory) else {
                throw ValidationError("\(option) \(path): no such file or directory")
            }
            do {
                if isDirectory { try set.add(directory: path) } else { try set.add(jsonFile: path) }
            } catch {
                throw ValidationError("\(option) \(path): \(error.description)")
            }
            if isDirectory, let empty = Self.certificateFileWithoutCertificate(in: path) {
                throw ValidationError("\(option) \(path): indicators \(empty): no certificate in it (empty, or cut off before its first one)")
            }
        }
        return set
    }

    /// A certificate file (by its extension, as `IndicatorSet.add(directory:)` picks them) in
    /// `directory` that holds no certificate at all — typically one truncated to nothing, which
    /// would otherwise load as zero indicators without a word.
    static func certificateFileWithoutCertificate(in directory: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory).sorted()) ?? []
        for name in names where [".pem", ".crt", ".cer", ".der"].contains(where: name.lowercased().hasSuffix) {
            let file = directory + "/" + name
            guard let bytes = try? FileBytes.read(file) else { continue }
            if (try? CertificateFile.entries(in: bytes))?.isEmpty == true { return file }
        }
        return nil
    }
}

extension UntrustedScope: ExpressibleByArgument {}
