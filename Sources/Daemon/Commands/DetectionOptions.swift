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

    /// The chain-level rules, configured.
    func chainJudge() throws -> ChainJudge {
        guard !noUntrustedChain else { return ChainJudge(rules: []) }
        let store: TrustStore
        do { store = try TrustStore(path: trustStore) } catch {
            throw ValidationError("--trust-store \(trustStore ?? "(system)"): \(error)")
        }
        let suffixes: PublicSuffixList
        do { suffixes = try PublicSuffixList.system() } catch {
            throw ValidationError("\(error.description) — needed by --untrusted-scope public")
        }
        let allowList: InspectionAllowList
        do { allowList = try InspectionAllowList(spkiSHA256Hex: allowedInspectionCAs) } catch {
            throw ValidationError("--allow-inspection-ca: \(error.description)")
        }
        let rule = UntrustedChainRule(validator: ChainValidator(trustStore: store), scope: untrustedScope,
                                      publicSuffixes: suffixes, allowList: allowList)
        return ChainJudge(rules: [rule])
    }

    func indicatorSet() throws -> IndicatorSet {
        var set = noBuiltinIndicators ? IndicatorSet() : IndicatorSet.builtIn()
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
