import Detector
import Sniffer

/// Suppresses repeats of an alert — same rule, issuing CA, server name, server and observation —
/// within a window of capture time, and counts what it suppressed. A probe's alert and capture's
/// are kept apart: that the sensor saw users' traffic intercepted, and that the gateway's own
/// probe was, are two facts. Decisions are made one at a time in
/// the order alerts are produced, so two alerts in the same millisecond cannot both pass.
struct AlertDeduplicator {
    struct Key: Hashable {
        var rule: Rule
        var issuingCA: String?
        var serverName: String?
        var server: Endpoint
        var observation: Observation
    }

    private var lastEmitted: [Key: (time: Timestamp, suppressed: Int)] = [:]
    let windowSeconds: Double
    let capacity: Int
    private(set) var suppressedTotal = 0

    init(windowSeconds: Double, capacity: Int = 65_536) {
        self.windowSeconds = windowSeconds
        self.capacity = capacity
    }

    /// Whether to emit; when emitting, how many were suppressed for this key since the last one.
    mutating func admit(_ finding: Finding, _ session: TLSSession, observation: Observation = .passive)
        -> (emit: Bool, suppressedBefore: Int) {
        let key = Key(rule: finding.rule, issuingCA: Self.compact(finding.issuingCA?.key),
                      serverName: Self.compact(session.serverName), server: session.server, observation: observation)
        let now = session.end
        if let state = lastEmitted[key], now < state.time.adding(seconds: windowSeconds) {
            lastEmitted[key] = (state.time, state.suppressed + 1)
            suppressedTotal += 1
            return (false, 0)
        }
        let suppressed = lastEmitted[key]?.suppressed ?? 0
        if lastEmitted.count >= capacity { lastEmitted.removeAll(keepingCapacity: true) }
        lastEmitted[key] = (now, 0)
        return (true, suppressed)
    }

    /// Strings in keys come from the network (an issuer name can be as long as a certificate):
    /// past `maxKeyStringBytes` a key keeps their start and a hash of the rest, so the table's
    /// memory is bounded by its capacity, not by what senders write.
    static let maxKeyStringBytes = 256

    static func compact(_ value: String?) -> String? {
        guard let value, value.utf8.count > maxKeyStringBytes else { return value }
        var hasher = Hasher()
        hasher.combine(value)
        return String(decoding: value.utf8.prefix(64), as: UTF8.self) + "…#" + String(UInt(bitPattern: hasher.finalize()), radix: 16)
    }
}
