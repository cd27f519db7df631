import ArgumentParser
import Detector

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

    /// The configured detection: indicators, chain-level rules and the validator missing-sct uses.
    func build() throws -> (indicators: IndicatorSet, judge: ChainJudge, transparencyValidator: ChainValidator?) {
        try prepare().instantiate()
    }

    /// Loads everything detection needs (indicators, trust store, public suffixes, pins) and
    /// checks it, once; `PreparedDetection.instantiate` then makes a thread's own rules from it.
    func prepare() throws -> PreparedDetection {
        let store = (!untrustedChain && !missingSCT && pins == nil) ? nil : try trustStoreFile()
        let untrusted = untrustedChain && store != nil ? try untrustedChainScope() : nil
        var pinList: [PinRule.Pin]?
        if let path = pins {
            do { pinList = try PinRule.load(path: path) } catch { throw ValidationError("--pins \(error.description)") }
        }
        return PreparedDetection(indicators: try indicatorSet(), trustStore: store, untrustedChain: untrusted,
                                 pins: pinList, missingSCT: missingSCT)
    }

    private func trustStoreFile() throws -> TrustStore {
        do { return try TrustStore(path: trustStore) } catch {
            throw ValidationError("--trust-store \(trustStore ?? "(system)"): \(error)")
        }
    }

    private func untrustedChainScope() throws -> PreparedDetection.UntrustedChain {
        let suffixes: PublicSuffixList
        do { suffixes = try PublicSuffixList.system() } catch {
            throw ValidationError("\(error.description) — needed by --untrusted-scope public")
        }
        let allowList: InspectionAllowList
        do { allowList = try InspectionAllowList(spkiSHA256Hex: allowedInspectionCAs) } catch {
            throw ValidationError("--allow-inspection-ca: \(error.description)")
        }
        return PreparedDetection.UntrustedChain(scope: untrustedScope, publicSuffixes: suffixes, allowList: allowList)
    }

    func indicatorSet() throws -> IndicatorSet {
        var set = builtinIndicators ? IndicatorSet.builtIn() : IndicatorSet()
        for path in indicatorPaths {
            var isDirectory = false
            guard FileBytes.exists(path, isDirectory: &isDirectory) else {
                throw ValidationError("--indicators \(path): no such file or directory")
            }
            do {
                if isDirectory { try set.add(directory: path) } else { try set.add(jsonFile: path) }
            } catch {
                throw ValidationError("--indicators \(path): \(error.description)")
            }
        }
        return set
    }
}

extension UntrustedScope: ExpressibleByArgument {}

/// Detection as loaded from its files, immutable and Sendable: made once (at start and on each
/// reload) and shared by every capture thread. OpenSSL validators keep caches and are not
/// thread-safe, so each thread makes its own rules from it (`instantiate`); the trust store
/// itself is shared.
struct PreparedDetection: Sendable {
    struct UntrustedChain: Sendable {
        var scope: UntrustedScope
        var publicSuffixes: PublicSuffixList
        var allowList: InspectionAllowList
    }

    var indicators: IndicatorSet
    /// nil when no rule validates chains.
    var trustStore: TrustStore?
    var untrustedChain: UntrustedChain?
    var pins: [PinRule.Pin]?
    var missingSCT: Bool

    /// Indicators, chain-level rules and the validator missing-sct uses, for one thread.
    func instantiate() -> (indicators: IndicatorSet, judge: ChainJudge, transparencyValidator: ChainValidator?) {
        let validator = trustStore.map { ChainValidator(trustStore: $0) }
        var rules: [any ChainJudgeRule] = []
        if let untrustedChain, let validator {
            rules.append(UntrustedChainRule(validator: validator, scope: untrustedChain.scope,
                                            publicSuffixes: untrustedChain.publicSuffixes, allowList: untrustedChain.allowList))
        }
        if let pins { rules.append(PinRule(pins: pins, validator: validator)) }
        return (indicators, ChainJudge(rules: rules), missingSCT ? validator : nil)
    }
}
