import ArgumentParser
import Detector

/// `mitmwatch run`: the daemon.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Capture live on one or more interfaces and raise alerts (the daemon)."
    )

    @Option(help: "Configuration file (JSON; see config.example.json).")
    var config: String?

    @Option(name: [.customShort("i"), .customLong("interface")], help: "Interface to capture on (repeatable; overrides the config).")
    var interfaces: [String] = []

    @Option(help: "Write alerts as NDJSON to this file (overrides the config).")
    var jsonLog: String?

    @Option(help: "Trust store for untrusted-chain and missing-sct (overrides the config).")
    var trustStore: String?

    @Option(help: "When started as root, become this user (keeping only CAP_NET_RAW) once capture is open.")
    var user: String?

    mutating func run() throws {
        let interfaces = self.interfaces, jsonLog = self.jsonLog, trustStore = self.trustStore, user = self.user
        let overrides: (DaemonConfig) -> DaemonConfig = { config in
            var config = config
            if !interfaces.isEmpty { config.interfaces = interfaces }
            if let jsonLog { config.jsonLog.path = jsonLog }
            if let trustStore { config.trustStore = trustStore }
            if let user { config.user = user }
            return config
        }
        var loaded = DaemonConfig()
        if let path = config {
            do { loaded = try DaemonConfig.load(path: path) } catch { throw CommandFailure(error.description) }
        }
        let effective = overrides(loaded)
        guard !effective.interfaces.isEmpty else {
            throw ValidationError("no interface to capture on: give -i IFACE or \"interfaces\" in the config")
        }
        // What cannot be loaded at start (an indicator file cut short, a missing trust store) is
        // one line naming the file and the key, exit status 1.
        let daemon: Daemon
        do { daemon = try Daemon(config: effective, configPath: config, overrides: overrides) } catch let error as ValidationError {
            throw CommandFailure("cannot start: \(error.message)")
        }
        try daemon.run()
    }
}

/// `mitmwatch check-config FILE`: validate without running.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a configuration file (and the indicators, trust store and pins it names) without running."
    )

    @Argument(help: "The configuration file.") var file: String

    mutating func run() throws {
        let config: DaemonConfig
        do { config = try DaemonConfig.load(path: file) } catch { throw CommandFailure(error.description) }
        let detection: RuleSet
        do { detection = try Daemon.detectionSetup(config).build() } catch let error as ValidationError {
            throw CommandFailure("\(file): \(error.message)")
        }
        let capture = config.capture
        StandardStreams.writeLine("\(file): ok — interfaces \(config.interfaces.isEmpty ? "(none: give -i)" : config.interfaces.joined(separator: ", ")), "
            + "capture \(capture.method.rawValue) with \(capture.workers) worker\(capture.workers == 1 ? "" : "s")"
            + (capture.fanoutGroup.map { " (fanout group \($0))" } ?? "") + ", "
            + "\(detection.indicators.indicators.count) indicators, \(detection.rules.count) rules, "
            + "alerts to \(config.jsonLog.path ?? (config.jsonLog.stdout ? "stdout" : "stderr only")), "
            + (config.evidence.enabled
                ? "evidence bundles in \(config.evidence.dir) (at most \(config.evidence.maxBytes >> 20) MiB), " : "evidence off, ")
            + Self.probes(config.probe))
    }

    /// The probe settings in a few words: what the daemon will connect to on its own.
    static func probes(_ probe: DaemonConfig.Probe) -> String {
        var parts: [String] = []
        if probe.followUnobserved {
            parts.append("follow-ups of unobservable sessions (at most \(probe.maxPerMinute)/min, each server and name once per "
                + "\(Int(probe.cacheSeconds)) s\(probe.exclude.isEmpty ? "" : ", \(probe.exclude.count) suffixes excluded"))")
        }
        if !probe.watchList.isEmpty {
            parts.append("a watch list of \(probe.watchList.count) name\(probe.watchList.count == 1 ? "" : "s") every \(Int(probe.intervalSeconds)) s")
        }
        guard !parts.isEmpty else { return "probes off" }
        return "probes: " + parts.joined(separator: " and ") + (probe.sourceAddress.map { " from \($0)" } ?? "")
    }
}

/// A failure to report as one line (no usage text): exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
