import Detector
import Foundation
import Store
import Sniffer

/// The daemon's configuration (`/etc/mitmwatch/config.json`; every key documented in README and
/// shown in `config.example.json`). Decoding checks every key and value and names the key, the
/// value and what is allowed when something is wrong.
struct DaemonConfig: Equatable {
    var interfaces: [String] = []
    var capture = Capture()
    var jsonLog = JSONLog()
    var journal = true
    var trustStore: String?
    var untrustedScope: UntrustedScope = .public
    var allowInspectionCAs: [String] = []
    var builtinIndicators = true
    var indicatorPaths: [String] = []
    var pins: String?
    var untrustedChain = true
    var missingSCT = true
    /// The history rules' thresholds (`rules.issuer-change.*`, …); they run where a store is on.
    var history = HistorySettings()
    var dedupWindowSeconds: Double = 3600
    var limits = Limits()
    /// node_exporter textfile to write Prometheus metrics to (every `metricsIntervalSeconds`).
    var metricsTextfile: String?
    var metricsIntervalSeconds: Double = 15
    /// `metrics.listen`: where to serve `GET /metrics` (a numeric address and port; loopback is the point).
    var metricsListen: Endpoint?
    /// When started as root: switch to this user (keeping only CAP_NET_RAW) once capture is open.
    var user: String?
    var probe = Probe()
    var state = State()
    var evidence = Evidence()

    /// The observation store (`state.*`): each name's history, for `mitmwatch history`.
    struct State: Equatable {
        var enabled = true
        var path = "/var/lib/mitmwatch/state.db"
        /// A shared PostgreSQL store (`state.url`), used instead of `path` when set.
        var url: String?
        /// The name observations are recorded under (`sensor.name`): the host name by default.
        var sensor = StoreWriterConfiguration.hostName

        /// The store this configuration names: the server when `url` is set, else the file.
        var location: StoreLocation { url.map { .server(url: $0) } ?? .file(path) }
        /// History last seen longer ago is deleted.
        var retentionDays = 90
        /// The data's size cap: the oldest history goes first.
        var maxBytes: Int64 = 1 << 30
        /// Seconds between writes of what was aggregated.
        var flushSeconds: Double = 5
    }

    /// Follow-up probes of passive sessions whose chain could not be seen, and the watch list (`probe.*`).
    struct Probe: Equatable {
        var followUnobserved = false
        /// `probe.targets`, as written in the configuration.
        var targets: [WatchTarget] = []
        /// `probe.targets_file`, read by `load` (and on reload) into `watchList`.
        var targetsFile: String?
        /// The watch list in force: `targets`, then the file's, each once.
        var watchList: [WatchTarget] = []
        var intervalSeconds: Double = 900
        /// After a probe's high or critical alert, look for the interceptor at rising TTL.
        var locate = true
        var maxHops = 30
        var cacheSeconds: Double = 3600
        var maxPerMinute = 60
        var timeoutSeconds: Double = 10
        /// Name suffixes never probed, lower case, without a trailing dot.
        var exclude: [String] = []
        var sourceAddress: String?
        var queue = 256
    }

    struct Capture: Equatable {
        var snaplen = 65535
        var bufferSizeMB = 64
        var promiscuous = true
        /// Captures only TCP by default (TLS handshakes); VLAN-tagged TCP included.
        var bpfFilter = "tcp or (vlan and tcp)"
        var retrySeconds = 1.0
        var maxRetrySeconds = 30.0
        var method: CaptureMethod = .auto
        /// Capture threads, each with its own AF_PACKET fanout socket per interface and its own flows.
        var workers = 1
        /// Fanout group id of the first interface (the next interfaces take the next ids); nil:
        /// an unused id the kernel picks.
        var fanoutGroup: Int?
    }

    enum CaptureMethod: String, CaseIterable {
        /// AF_PACKET where it opens (Linux, Ethernet-like and raw-IP interfaces), libpcap elsewhere.
        case auto
        case afPacket = "af-packet"
        case pcap
    }

    struct JSONLog: Equatable {
        var path: String?
        var stdout = false
        /// Also write session records (not only alerts).
        var sessions = false
    }

    struct Limits: Equatable {
        var maxFlows = FlowLimits().maxFlows
        var idleTimeoutSeconds = FlowLimits().idleTimeoutSeconds
        var maxFlowBytes = ReassemblyLimits().maxFlowBytes
        var memcap = ReassemblyLimits().memcap
        var maxPendingSegments = ReassemblyLimits().maxPendingSegments
        var maxSequenceLookahead = ReassemblyLimits().maxSequenceLookahead
        var maxPreludeBytes = ReassemblyLimits().maxPreludeBytes
        var maxResyncBytes = ReassemblyLimits().maxResyncBytes
        var maxTunnelDepth = DecoderLimits().maxTunnelDepth
        var fragmentTimeoutSeconds = DecoderLimits().fragmentTimeoutSeconds
        var fragmentMemcap = DecoderLimits().fragmentMemcap
        var maxFragmentTrains = DecoderLimits().maxFragmentTrains
        var maxChainCertificates = ReassemblyLimits().maxCertificatesPerChain
    }

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    var snifferLimits: SnifferLimits {
        var limits = SnifferLimits()
        limits.flows.maxFlows = self.limits.maxFlows
        limits.flows.idleTimeoutSeconds = self.limits.idleTimeoutSeconds
        limits.reassembly.maxFlowBytes = self.limits.maxFlowBytes
        limits.reassembly.memcap = self.limits.memcap
        limits.reassembly.maxPendingSegments = self.limits.maxPendingSegments
        limits.reassembly.maxSequenceLookahead = self.limits.maxSequenceLookahead
        limits.reassembly.maxPreludeBytes = self.limits.maxPreludeBytes
        limits.reassembly.maxResyncBytes = self.limits.maxResyncBytes
        limits.reassembly.maxCertificatesPerChain = self.limits.maxChainCertificates
        limits.decoder.maxTunnelDepth = self.limits.maxTunnelDepth
        limits.decoder.fragmentTimeoutSeconds = self.limits.fragmentTimeoutSeconds
        limits.decoder.fragmentMemcap = self.limits.fragmentMemcap
        limits.decoder.maxFragmentTrains = self.limits.maxFragmentTrains
        return limits
    }

    /// One capture worker's limits: `limits.max_flows` and `limits.memcap` bound the whole daemon,
    /// so each of the `capture.workers` gets its share (a memcap never below one flow's cap).
    var workerLimits: SnifferLimits {
        var limits = snifferLimits
        let workers = capture.workers
        limits.flows.maxFlows = max(1, self.limits.maxFlows / workers)
        limits.reassembly.memcap = max(self.limits.memcap / workers, self.limits.maxFlowBytes)
        limits.decoder.fragmentMemcap = max(self.limits.fragmentMemcap / workers, 65_536)
        limits.decoder.maxFragmentTrains = max(self.limits.maxFragmentTrains / workers, 16)
        limits.evidence = evidence.limits(workers: workers)
        return limits
    }

    /// Reads and checks a configuration file.
    static func load(path: String) throws(Invalid) -> DaemonConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Invalid(description: "config \(path): cannot be read")
        }
        let object: JSONValue
        do { object = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw Invalid(description: "config \(path): not valid JSON (\(error))")
        }
        do {
            var config = try decode(object)
            try readTargetsFile(&config.probe, configPath: path)
            return config
        } catch {
            throw Invalid(description: "config \(path): \(error.description)")
        }
    }

    static func decode(_ object: JSONValue) throws(Invalid) -> DaemonConfig {
        var config = DaemonConfig()
        let root = try Keys(object, path: "")
        try root.allow(["interfaces", "capture", "json_log", "journal", "trust_store", "untrusted_scope",
                        "allow_inspection_cas", "indicators", "pins", "rules", "dedup_window_seconds", "limits", "metrics", "user", "probe", "state", "sensor",
                        "evidence"])
        config.user = try root.string("user")
        if let state = try root.object("state") { config.state = try decodeState(state) }
        if let sensor = try root.object("sensor") {
            try sensor.allow(["name"])
            if let v = try sensor.string("name") {
                guard !v.isEmpty, v.utf8.count <= 255, !v.contains(where: \.isNewline) else {
                    throw Invalid(description: "key 'sensor.name': \"\(v)\" must be 1 to 255 bytes on one line")
                }
                config.state.sensor = v
            }
        }
        if let probe = try root.object("probe") { config.probe = try decodeProbe(probe) }
        if let evidence = try root.object("evidence") { config.evidence = try decodeEvidence(evidence) }
        if let metrics = try root.object("metrics") {
            try metrics.allow(["textfile", "interval_seconds", "listen"])
            if let v = try metrics.string("listen") {
                guard let endpoint = HostAddress.endpoint(v), endpoint.port != 0 else {
                    throw Invalid(description: "key 'metrics.listen': \"\(v)\" is not ADDRESS:PORT with a numeric address "
                        + "(e.g. \"127.0.0.1:9187\" or \"[::1]:9187\")")
                }
                config.metricsListen = endpoint
            }
            config.metricsTextfile = try metrics.string("textfile")
            if let v = try metrics.number("interval_seconds", in: 1...3600) { config.metricsIntervalSeconds = v }
        }
        if let value = try root.strings("interfaces") { config.interfaces = value }
        if let capture = try root.object("capture") {
            try capture.allow(["snaplen", "buffer_size_mb", "promiscuous", "bpf_filter", "retry_seconds", "max_retry_seconds",
                               "method", "workers", "fanout_group"])
            if let v = try capture.int("snaplen", in: 64...262_144) { config.capture.snaplen = v }
            if let v = try capture.int("buffer_size_mb", in: 1...4096) { config.capture.bufferSizeMB = v }
            if let v = try capture.bool("promiscuous") { config.capture.promiscuous = v }
            if let v = try capture.string("bpf_filter") { config.capture.bpfFilter = v }
            if let v = try capture.number("retry_seconds", in: 0.1...3600) { config.capture.retrySeconds = v }
            if let v = try capture.number("max_retry_seconds", in: 0.1...86_400) { config.capture.maxRetrySeconds = v }
            if let v = try capture.string("method") {
                guard let method = CaptureMethod(rawValue: v) else {
                    throw Invalid(description: "key 'capture.method': \"\(v)\" is not one of "
                        + CaptureMethod.allCases.map(\.rawValue).joined(separator: ", "))
                }
                config.capture.method = method
            }
            if let v = try capture.int("workers", in: 1...64) { config.capture.workers = v }
            if let v = try capture.int("fanout_group", in: 0...65_535) { config.capture.fanoutGroup = v }
            if config.capture.workers > 1 && config.capture.method == .pcap {
                throw Invalid(description: "key 'capture.workers': \(config.capture.workers) needs capture.method "
                    + "\"af-packet\" or \"auto\" (libpcap captures on one thread), got \"pcap\"")
            }
        }
        if let log = try root.object("json_log") {
            try log.allow(["path", "stdout", "sessions"])
            config.jsonLog.path = try log.string("path")
            if let v = try log.bool("stdout") { config.jsonLog.stdout = v }
            if let v = try log.bool("sessions") { config.jsonLog.sessions = v }
        }
        if let v = try root.bool("journal") { config.journal = v }
        config.trustStore = try root.string("trust_store")
        if let v = try root.string("untrusted_scope") {
            guard let scope = UntrustedScope(rawValue: v) else {
                throw Invalid(description: "key 'untrusted_scope': \"\(v)\" is not one of public, all")
            }
            config.untrustedScope = scope
        }
        if let v = try root.strings("allow_inspection_cas") { config.allowInspectionCAs = v }
        if let indicators = try root.object("indicators") {
            try indicators.allow(["builtin", "paths"])
            if let v = try indicators.bool("builtin") { config.builtinIndicators = v }
            if let v = try indicators.strings("paths") { config.indicatorPaths = v }
        }
        config.pins = try root.string("pins")
        if let rules = try root.object("rules") {
            try rules.allow(["untrusted_chain", "missing_sct", "issuer-change", "tls-downgrade", "server-profile-change",
                             "history_names"])
            if let v = try rules.bool("untrusted_chain") { config.untrustedChain = v }
            if let v = try rules.bool("missing_sct") { config.missingSCT = v }
            if let v = try rules.object("issuer-change") { try decodeThreshold(v, into: &config.history.issuerChange) }
            if let v = try rules.object("tls-downgrade") { try decodeThreshold(v, into: &config.history.tlsDowngrade) }
            if let v = try rules.object("server-profile-change") {
                try decodeThreshold(v, into: &config.history.serverProfileChange)
            }
            if let v = try rules.int("history_names", in: 1...10_000_000) { config.history.names = v }
        }
        if let v = try root.number("dedup_window_seconds", in: 1...31_536_000) { config.dedupWindowSeconds = v }
        if let limits = try root.object("limits") {
            try limits.allow(["max_flows", "idle_timeout_seconds", "max_flow_bytes", "memcap", "max_pending_segments",
                              "max_sequence_lookahead", "max_prelude_bytes", "max_resync_bytes", "max_tunnel_depth",
                              "fragment_timeout_seconds", "fragment_memcap", "max_fragment_trains",
                              "max_chain_certificates"])
            if let v = try limits.int("max_flows", in: 1...100_000_000) { config.limits.maxFlows = v }
            if let v = try limits.number("idle_timeout_seconds", in: 1...86_400) { config.limits.idleTimeoutSeconds = v }
            if let v = try limits.int("max_flow_bytes", in: 4096...(1 << 30)) { config.limits.maxFlowBytes = v }
            if let v = try limits.int("memcap", in: 4096...(1 << 40)) { config.limits.memcap = v }
            if let v = try limits.int("max_pending_segments", in: 1...65_536) { config.limits.maxPendingSegments = v }
            if let v = try limits.int("max_sequence_lookahead", in: 1...(1 << 30)) { config.limits.maxSequenceLookahead = v }
            if let v = try limits.int("max_prelude_bytes", in: 0...(16 << 20)) { config.limits.maxPreludeBytes = v }
            if let v = try limits.int("max_resync_bytes", in: 0...(64 << 20)) { config.limits.maxResyncBytes = v }
            if let v = try limits.int("max_tunnel_depth", in: 0...16) { config.limits.maxTunnelDepth = v }
            if let v = try limits.number("fragment_timeout_seconds", in: 1...300) { config.limits.fragmentTimeoutSeconds = v }
            if let v = try limits.int("fragment_memcap", in: 65_536...(1 << 34)) { config.limits.fragmentMemcap = v }
            if let v = try limits.int("max_fragment_trains", in: 16...1_048_576) { config.limits.maxFragmentTrains = v }
            if let v = try limits.int("max_chain_certificates", in: 1...10_000) { config.limits.maxChainCertificates = v }
            guard config.limits.memcap >= config.limits.maxFlowBytes else {
                throw Invalid(description: "key 'limits.memcap': \(config.limits.memcap) is smaller than limits.max_flow_bytes (\(config.limits.maxFlowBytes))")
            }
        }
        return config
    }
}

extension DaemonConfig {
    /// `rules.<id>`: `enabled`, `min_observations`, `min_days`.
    fileprivate static func decodeThreshold(_ keys: Keys, into threshold: inout HistorySettings.Threshold) throws(Invalid) {
        try keys.allow(["enabled", "min_observations", "min_days"])
        if let v = try keys.bool("enabled") { threshold.enabled = v }
        if let v = try keys.int("min_observations", in: 1...1_000_000) { threshold.minObservations = v }
        if let v = try keys.number("min_days", in: 0...3650) { threshold.minDays = v }
    }

    fileprivate static func decodeState(_ keys: Keys) throws(Invalid) -> State {
        var state = State()
        try keys.allow(["enabled", "path", "url", "retention_days", "max_bytes", "flush_seconds"])
        if let v = try keys.bool("enabled") { state.enabled = v }
        if let v = try keys.string("path") {
            guard v.hasPrefix("/") else {
                throw Invalid(description: "key 'state.path': \"\(v)\" is not an absolute path")
            }
            state.path = v
        }
        if let v = try keys.string("url") {
            // Named with its password masked: configuration errors end up in the journal.
            if let problem = PostgresURL.problem(v) {
                throw Invalid(description: "key 'state.url': \"\(PostgresURL.masked(v))\" is \(problem)")
            }
            state.url = v
        }
        if let v = try keys.int("retention_days", in: 1...36_500) { state.retentionDays = v }
        // At least 1 MiB (the empty schema and a batch fit); at most 1 TiB.
        if let v = try keys.int("max_bytes", in: 1 << 20...1 << 40) { state.maxBytes = Int64(v) }
        if let v = try keys.number("flush_seconds", in: 0.1...3600) { state.flushSeconds = v }
        return state
    }

    fileprivate static func decodeProbe(_ keys: Keys) throws(Invalid) -> Probe {
        var probe = Probe()
        try keys.allow(["follow_unobserved", "cache_seconds", "max_per_minute", "timeout_seconds", "exclude",
                        "source_address", "queue", "targets", "targets_file", "interval_seconds", "locate", "max_hops"])
        if let v = try keys.bool("follow_unobserved") { probe.followUnobserved = v }
        if let v = try keys.number("cache_seconds", in: 1...604_800) { probe.cacheSeconds = v }
        if let v = try keys.int("max_per_minute", in: 1...FollowUpRateLimit.maxPerMinute) { probe.maxPerMinute = v }
        if let v = try keys.number("timeout_seconds", in: 0.1...300) { probe.timeoutSeconds = v }
        if let v = try keys.int("queue", in: 1...65_536) { probe.queue = v }
        if let names = try keys.strings("exclude") {
            probe.exclude = try names.map { name throws(Invalid) in
                guard let suffix = FollowUpExclusion.normalized(name) else {
                    throw Invalid(description: "key 'probe.exclude': \"\(name)\" is not a DNS name suffix "
                        + "(letters, digits, '-', '_' and dots, e.g. \"example.com\")")
                }
                return suffix
            }
        }
        if let v = try keys.string("source_address") {
            guard HostAddress.parse(v) != nil else {
                throw Invalid(description: "key 'probe.source_address': \"\(v)\" is not a numeric IPv4 or IPv6 address")
            }
            probe.sourceAddress = v
        }
        if let v = try keys.number("interval_seconds", in: 10...604_800) { probe.intervalSeconds = v }
        if let v = try keys.bool("locate") { probe.locate = v }
        if let v = try keys.int("max_hops", in: 1...64) { probe.maxHops = v }
        if let entries = try keys.strings("targets") {
            probe.targets = try entries.map { entry throws(Invalid) in
                do throws(WatchTarget.Invalid) { return try WatchTarget(parsing: entry) } catch {
                    throw Invalid(description: "key 'probe.targets': \(error.description)")
                }
            }
        }
        if let v = try keys.string("targets_file") {
            guard !v.isEmpty else { throw Invalid(description: "key 'probe.targets_file': the path is empty") }
            probe.targetsFile = v
        }
        probe.watchList = try watchList(probe.targets, file: [])
        return probe
    }

    /// The most names a watch list probes: each is probed twice per `probe.interval_seconds`.
    static let maxWatchTargets = 4096

    fileprivate static func watchList(_ targets: [WatchTarget], file: [WatchTarget]) throws(Invalid) -> [WatchTarget] {
        var seen = Set<WatchTarget>(), list: [WatchTarget] = []
        for target in targets + file where seen.insert(target).inserted { list.append(target) }
        guard list.count <= maxWatchTargets else {
            throw Invalid(description: "key 'probe.targets': \(list.count) targets with probe.targets_file's; at most \(maxWatchTargets)")
        }
        return list
    }

    /// Reads `probe.targets_file` (relative to the configuration file's folder) into the watch list.
    fileprivate static func readTargetsFile(_ probe: inout Probe, configPath: String) throws(Invalid) {
        guard let file = probe.targetsFile else { return }
        let path = file.hasPrefix("/") ? file
            : URL(fileURLWithPath: configPath).deletingLastPathComponent().appendingPathComponent(file).path
        let fileTargets: [WatchTarget]
        do { fileTargets = try WatchTargetsFile.read(path) } catch {
            throw Invalid(description: "key 'probe.targets_file': \(error.description)")
        }
        probe.watchList = try watchList(probe.targets, file: fileTargets)
    }
}

/// A JSON value as parsed, so booleans, numbers and strings are told apart exactly.
enum JSONValue: Decodable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    var shown: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .number(let value): value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .string(let value): "\"\(value)\""
        case .array: "a list"
        case .object: "an object"
        }
    }
}

/// One JSON object's keys, checked one by one with errors that name the key.
struct Keys {
    let values: [String: JSONValue]
    let path: String

    init(_ value: JSONValue, path: String) throws(DaemonConfig.Invalid) {
        guard case .object(let values) = value else {
            throw DaemonConfig.Invalid(description: path.isEmpty ? "the top level must be a JSON object"
                                                                  : "key '\(path)': expected an object, got \(value.shown)")
        }
        self.values = values
        self.path = path
    }

    func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func allow(_ keys: [String]) throws(DaemonConfig.Invalid) {
        for key in values.keys.sorted() where !keys.contains(key) {
            throw DaemonConfig.Invalid(description: "unknown key '\(name(key))' (allowed here: \(keys.joined(separator: ", ")))")
        }
    }

    func present(_ key: String) -> JSONValue? {
        guard let value = values[key], value != .null else { return nil }
        return value
    }

    func object(_ key: String) throws(DaemonConfig.Invalid) -> Keys? {
        guard let value = present(key) else { return nil }
        return try Keys(value, path: name(key))
    }

    func string(_ key: String) throws(DaemonConfig.Invalid) -> String? {
        guard let value = present(key) else { return nil }
        guard case .string(let text) = value else { throw wrong(key, value, "a string") }
        return text
    }

    func strings(_ key: String) throws(DaemonConfig.Invalid) -> [String]? {
        guard let value = present(key) else { return nil }
        guard case .array(let list) = value else { throw wrong(key, value, "a list of strings") }
        var result: [String] = []
        for item in list {
            guard case .string(let text) = item else { throw wrong(key, item, "a list of strings") }
            result.append(text)
        }
        return result
    }

    func bool(_ key: String) throws(DaemonConfig.Invalid) -> Bool? {
        guard let value = present(key) else { return nil }
        guard case .bool(let flag) = value else { throw wrong(key, value, "true or false") }
        return flag
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(DaemonConfig.Invalid) -> Int? {
        guard let value = present(key) else { return nil }
        guard case .number(let number) = value, let integer = Int(exactly: number), range.contains(integer)
        else { throw wrong(key, value, "an integer from \(range.lowerBound) to \(range.upperBound)") }
        return integer
    }

    func number(_ key: String, in range: ClosedRange<Double>) throws(DaemonConfig.Invalid) -> Double? {
        guard let value = present(key) else { return nil }
        guard case .number(let number) = value, range.contains(number)
        else { throw wrong(key, value, "a number from \(range.lowerBound) to \(range.upperBound)") }
        return number
    }

    func wrong(_ key: String, _ value: JSONValue, _ expected: String) -> DaemonConfig.Invalid {
        DaemonConfig.Invalid(description: "key '\(name(key))': expected \(expected), got \(value.shown)")
    }
}
