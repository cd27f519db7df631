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

    /// (FNV-1a, not `Hasher`: its seed changes from run to run, and keys are saved across restarts.)
    static func compact(_ value: String?) -> String? {
        guard let value, value.utf8.count > maxKeyStringBytes else { return value }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in value.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return String(decoding: value.utf8.prefix(64), as: UTF8.self) + "…#" + String(hash, radix: 16)
    }

    // MARK: Saved across restarts (the observation store's alert_dedup table)

    /// Every key's state: its text (each field length-prefixed, so any name round-trips), when its
    /// alert was last emitted (capture time, ns) and the repeats suppressed since.
    func saved() -> [(key: String, lastEmittedNanoseconds: Int64, suppressed: Int)] {
        lastEmitted.map { (Self.text(of: $0.key), $0.value.time.nanoseconds, $0.value.suppressed) }
    }

    /// Takes back saved state, leaving out what is past the window at `now` and what does not parse.
    mutating func restore(_ entries: [(key: String, lastEmittedNanoseconds: Int64, suppressed: Int)], now: Timestamp) {
        for entry in entries where lastEmitted.count < capacity {
            let time = Timestamp(nanoseconds: entry.lastEmittedNanoseconds)
            // An entry made since (an alert raised before the saved state arrived) is newer: kept.
            guard now < time.adding(seconds: windowSeconds), let key = Self.key(parsing: entry.key),
                  lastEmitted[key] == nil else { continue }
            lastEmitted[key] = (time, max(0, entry.suppressed))
        }
    }

    static func text(of key: Key) -> String {
        [key.rule.rawValue, key.issuingCA ?? "", key.serverName ?? "", key.server.description, key.observation.rawValue]
            .map { "\($0.utf8.count):\($0)" }.joined()
    }

    static func key(parsing text: String) -> Key? {
        var fields: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty, fields.count < 5 {
            guard let colon = rest.firstIndex(of: ":"), let length = Int(rest[..<colon]), length >= 0 else { return nil }
            let bytes = rest[rest.index(after: colon)...].utf8
            guard bytes.count >= length else { return nil }
            let end = bytes.index(bytes.startIndex, offsetBy: length)
            fields.append(String(decoding: bytes[..<end], as: UTF8.self))
            rest = Substring(String(decoding: bytes[end...], as: UTF8.self))
        }
        guard fields.count == 5, rest.isEmpty, let rule = Rule(rawValue: fields[0]),
              let observation = Observation(rawValue: fields[4]), let server = HostAddress.endpoint(fields[3]) else { return nil }
        return Key(rule: rule, issuingCA: fields[1].isEmpty ? nil : fields[1], serverName: fields[2].isEmpty ? nil : fields[2],
                   server: server, observation: observation)
    }
}
