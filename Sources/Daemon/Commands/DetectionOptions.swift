import ArgumentParser
import Detector

/// Where indicators come from, shared by `read` and `indicators`.
struct DetectionOptions: ParsableArguments {
    @Option(name: .customLong("indicators"),
            help: "More indicators: a directory of PEM/DER certificates or a JSON list (repeatable).")
    var indicatorPaths: [String] = []

    @Flag(help: "Do not load the built-in indicator set.")
    var noBuiltinIndicators = false

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
