import Detector
import Sniffer

/// The journal's MESSAGE_IDs of mitmwatch entries: 128-bit ids, 32 lowercase hex digits, fixed
/// forever so that `journalctl MESSAGE_ID=…` and catalog entries keep working across versions.
/// Never reuse or change one; a new kind of entry gets a new random id.
///
/// | entry                 | MESSAGE_ID                         |
/// |-----------------------|------------------------------------|
/// | known-interception-ca | `4d3e25f0aa7f4f8babe9fb916a7cbd19` |
/// | government-ca         | `3df7278d89624f3ead62e86413a5a543` |
/// | untrusted-chain       | `b2a79a92fe8f4ea88ee505ddc4afccd7` |
/// | pin-mismatch          | `6099c376c34c4cd485691cd7c88c239e` |
/// | missing-sct           | `82d7d1ec291744ba985a308ed492f1b6` |
/// | interception-shape    | `70b50d9b8970460980db604f97265cbd` |
/// | malformed-chain       | `16e8d684307e4646b2159142a52b7872` |
/// | started               | `7574b4d8f7c147d99eb55d1ae813195d` |
/// | stopping              | `be7f55a1aff4490690f9c78061ff4885` |
/// | interface-down        | `96753c0ae894457daf45feba2cc8c5a2` |
/// | interface-up          | `40263bd189cf4cf08a7d3a2e56f15e7b` |
/// | config-reloaded       | `7ffd4826ba64416f953fd8ddac8a3dab` |
/// | config-rejected       | `55420c15a0b34a6497d5b67f60678b99` |
/// | log-write-failed      | `dbc4771257914609ad046ce23a9946fd` |
/// | stats                 | `190f1d904a4b4556803831a5e33351bf` |
enum JournalMessageID {
    static func rule(_ rule: Rule) -> String {
        switch rule {
        case .knownInterceptionCA: "4d3e25f0aa7f4f8babe9fb916a7cbd19"
        case .governmentCA: "3df7278d89624f3ead62e86413a5a543"
        case .untrustedChain: "b2a79a92fe8f4ea88ee505ddc4afccd7"
        case .pinMismatch: "6099c376c34c4cd485691cd7c88c239e"
        case .missingSCT: "82d7d1ec291744ba985a308ed492f1b6"
        case .interceptionShape: "70b50d9b8970460980db604f97265cbd"
        case .malformedChain: "16e8d684307e4646b2159142a52b7872"
        case .issuerChange: "63447d93894f4d1c878ca7e9184a837e"
        case .tlsDowngrade: "2fd0e96c30104ce9b61de901cd43b19a"
        case .serverProfileChange: "114f9a46a4794b24a215f292cb2b7678"
        }
    }

    /// Whether passive capture saw a watch-list probe's own TLS 1.2 handshake.
    static let probePathCheck = "ef0d1f925b7c4f8183ba43b49cdad14e"
    /// A watch-list probe could not complete (refused, timed out, name not resolved).
    static let watchProbeFailed = "12bfbd5714ad4e67bf87d78d9b4ddd4d"
    /// A probe's alert was followed by looking for the interceptor at rising TTL.
    static let interceptorLocated = "fbe2009a7b824733865d14a16fd7839d"
    /// The daemon started capturing.
    static let started = "7574b4d8f7c147d99eb55d1ae813195d"
    /// The daemon is shutting down.
    static let stopping = "be7f55a1aff4490690f9c78061ff4885"
    /// A capture interface went away or stopped delivering.
    static let interfaceDown = "96753c0ae894457daf45feba2cc8c5a2"
    /// A capture interface (re)appeared and capture resumed.
    static let interfaceUp = "40263bd189cf4cf08a7d3a2e56f15e7b"
    /// A new configuration (indicators, pins, trust store) is in force.
    static let configReloaded = "7ffd4826ba64416f953fd8ddac8a3dab"
    /// A reload was refused; the previous configuration stays in force.
    static let configRejected = "55420c15a0b34a6497d5b67f60678b99"
    /// Writing an output failed, or works again: the JSON log, the metrics file, the journal
    /// itself (said on stderr), stdout or stderr (said in the journal).
    static let logWriteFailed = "dbc4771257914609ad046ce23a9946fd"
    /// Periodic counters (packets, drops, sessions, alerts).
    static let stats = "190f1d904a4b4556803831a5e33351bf"

    /// Every id, for uniqueness checks.
    static var all: [String] {
        Rule.allCases.map(rule) + [started, stopping, interfaceDown, interfaceUp, configReloaded, configRejected,
                                   logWriteFailed, stats]
    }
}

/// syslog priorities (the journal's PRIORITY field).
enum JournalPriority {
    static let emergency = 0, alert = 1, critical = 2, error = 3, warning = 4, notice = 5, info = 6, debug = 7

    /// critical → 2 (crit), high → 3 (err), medium → 4 (warning), low → 5 (notice), informational → 6 (info).
    static func of(_ severity: Rule.Severity) -> Int {
        switch severity {
        case .critical: critical
        case .high: error
        case .medium: warning
        case .low: notice
        case .informational: info
        }
    }
}

enum JournalFields {
    /// journald's rule for fields a client may set: 1–64 characters of `A–Z`, `0–9` and `_`, not
    /// starting with a digit, and not with `_` (those are trusted fields journald adds itself).
    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), let first = bytes.first,
              first != UInt8(ascii: "_"), !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
    }

    /// `name` made valid: upper-cased, other characters as `_`, a leading `_` or digit prefixed
    /// with `X`, cut to 64 characters (an empty name becomes `X`).
    static func sanitizedName(_ name: String) -> String {
        var bytes = name.utf8.map { byte -> UInt8 in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - 32
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): byte
            default: UInt8(ascii: "_")
            }
        }
        if bytes.first.map({ $0 == UInt8(ascii: "_") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) ?? true {
            bytes.insert(UInt8(ascii: "X"), at: 0)
        }
        return String(decoding: bytes.prefix(64), as: UTF8.self)
    }
}

extension JournalWriter {
    static let syslogIdentifier = "mitmwatch"

    /// The journal entry of one finding. Fields without a value for this finding are left out.
    ///
    /// `MESSAGE` (AlertText), `PRIORITY`, `MESSAGE_ID` (per rule), `SYSLOG_IDENTIFIER=mitmwatch`,
    /// `MITMWATCH_RULE`, `MITMWATCH_SEVERITY`, `MITMWATCH_SNI`, `MITMWATCH_SERVER` and
    /// `MITMWATCH_CLIENT` (`ip:port`, `[v6]:port`), `MITMWATCH_LEAF_SHA256`, `MITMWATCH_CHAIN_SHA256`
    /// (leaf first, space-separated), `MITMWATCH_POSITION`, `MITMWATCH_INDICATOR` (the indicator's
    /// id), `MITMWATCH_MATCH_TYPE`, `MITMWATCH_SIGNATURE_VERIFIED` (`true`/`false`),
    /// `MITMWATCH_REASONS` (space-separated), `MITMWATCH_DETAIL`, `MITMWATCH_VERDICT` (rule ids of
    /// the session, space-separated), `MITMWATCH_SESSION_ID`; for a chain a probe was shown,
    /// `MITMWATCH_OBSERVATION=probe`, `MITMWATCH_PROBE_TRIGGER` and `MITMWATCH_PROBE_SESSION_ID`
    /// (the passive session that led to the probe).
    static func alertFields(_ finding: Finding, report: SessionReport, indicators: IndicatorSet,
                            evidence: String? = nil, sensor: String? = nil) -> [(String, String)] {
        let session = report.session
        var fields: [(String, String)] = [
            ("MESSAGE", AlertText.message(finding, in: report, indicators: indicators)),
            ("PRIORITY", String(JournalPriority.of(finding.severity))),
            ("MESSAGE_ID", JournalMessageID.rule(finding.rule)),
            ("SYSLOG_IDENTIFIER", syslogIdentifier),
            ("MITMWATCH_RULE", finding.rule.rawValue),
            ("MITMWATCH_SEVERITY", finding.severity.rawValue),
        ]
        func add(_ name: String, _ value: String?) {
            if let value, !value.isEmpty { fields.append((name, value)) }
        }
        add("MITMWATCH_SNI", session.serverName)
        add("MITMWATCH_SERVER", session.server.description)
        add("MITMWATCH_CLIENT", session.client.description)
        add("MITMWATCH_LEAF_SHA256", session.serverChain?.fingerprints.first?.description)
        add("MITMWATCH_CHAIN_SHA256", session.serverChain?.fingerprints.map(\.description).joined(separator: " "))
        add("MITMWATCH_POSITION", finding.position.map(String.init))
        if let index = finding.indicator, indicators.indicators.indices.contains(index) {
            add("MITMWATCH_INDICATOR", indicators.indicators[index].id)
        }
        add("MITMWATCH_MATCH_TYPE", finding.matchType?.rawValue)
        add("MITMWATCH_SIGNATURE_VERIFIED", finding.signatureVerified.map { $0 ? "true" : "false" })
        add("MITMWATCH_REASONS", finding.reasons.joined(separator: " "))
        add("MITMWATCH_DETAIL", finding.detail)
        add("MITMWATCH_VERDICT", report.verdict.joined(separator: " "))
        add("MITMWATCH_SESSION_ID", String(session.id))
        add("MITMWATCH_EVIDENCE_PATH", evidence)
        add("MITMWATCH_SENSOR", sensor)
        if report.observation == .probe {
            add("MITMWATCH_OBSERVATION", report.observation.rawValue)
            add("MITMWATCH_PROBE_TRIGGER", report.probe?.trigger.rawValue)
            add("MITMWATCH_PROBE_SESSION_ID", report.probe?.triggeringSession.map { String($0) })
        }
        return fields
    }

    /// An entry about the daemon itself (start, stop, interfaces, reloads, drops, statistics):
    /// `MESSAGE`, `PRIORITY`, `MESSAGE_ID` (one of `JournalMessageID`'s, when given),
    /// `SYSLOG_IDENTIFIER=mitmwatch`, then `extra` in order (names should be `MITMWATCH_…`;
    /// invalid names are dropped when sent, see `JournalFields.sanitizedName`).
    static func operationalFields(message: String, priority: Int, messageID: String?,
                                  extra: [(String, String)] = []) -> [(String, String)] {
        var fields: [(String, String)] = [
            ("MESSAGE", message),
            ("PRIORITY", String(min(max(priority, 0), 7))),
        ]
        if let messageID { fields.append(("MESSAGE_ID", messageID)) }
        fields.append(("SYSLOG_IDENTIFIER", syslogIdentifier))
        return fields + extra
    }
}
