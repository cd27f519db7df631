import Output
import Store

/// `mitmwatch history`'s output: one JSON object or text line per chain (or per name whose
/// issuing CA changed), with the session records' field names where they mean the same thing.
enum HistoryRecords {
    /// One distinct chain a name was served.
    static func write(_ chain: ChainHistory, into json: inout JSONBuffer) {
        json.beginRecord()
        json.beginObject("tls")
        json.beginObject("client")
        json.field("server_name", chain.name)
        json.endObject()
        json.beginObject("server")
        if let leaf = chain.leaf {
            json.beginObject("hash")
            json.field("sha256", fingerprint: leaf)
            json.endObject()
        }
        json.field("issuer", chain.issuer)
        json.endObject()
        json.endObject()
        json.beginObject("mitmwatch")
        json.beginObject("chain")
        json.field("sha256", fingerprints: chain.certificates)
        json.endObject()
        json.beginObject("history")
        if chain.kind == .address { json.field("name_kind", chain.kind.rawValue) }
        json.field("first_seen", dateSeconds: chain.firstSeen)
        json.field("last_seen", dateSeconds: chain.lastSeen)
        json.field("count", chain.count)
        json.field("observations", chain.observations)
        json.field("issuing_ca", chain.issuingCA)
        json.field("sensors", chain.sensors)
        json.endObject()
        json.field("verdict", chain.rules)
        json.endObject()
        json.endRecord()
    }

    static func text(_ chain: ChainHistory) -> String {
        let leaf = chain.leaf.map { String($0.description.prefix(16)) } ?? "-"
        let verdict = chain.rules.isEmpty ? "no alert" : chain.rules.joined(separator: ",")
        return "\(chain.name)  \(HistoryDates.text(chain.firstSeen)) .. \(HistoryDates.text(chain.lastSeen))  "
            + "\(chain.count)x (\(chain.observations.joined(separator: "+")))  leaf \(leaf)  "
            + "issuer \(chain.issuer ?? "(unknown)")  [\(verdict)]  sensors \(chain.sensors.joined(separator: ","))"
    }

    /// One name whose issuing CA changed, with each issuing CA key and when it first appeared.
    static func write(_ change: IssuerChange, into json: inout JSONBuffer) {
        json.beginRecord()
        json.beginObject("tls")
        json.beginObject("client")
        json.field("server_name", change.name)
        json.endObject()
        json.endObject()
        json.beginObject("mitmwatch")
        json.beginObject("history")
        json.beginArray("issuing_cas")
        for issuing in change.issuingCAs {
            json.beginObjectElement()
            json.field("key", issuing.key)
            json.field("issuer", issuing.issuer)
            json.field("first_seen", dateSeconds: issuing.firstSeen)
            json.field("last_seen", dateSeconds: issuing.lastSeen)
            json.field("count", issuing.count)
            json.endObject()
        }
        json.endArray()
        json.endObject()
        json.endObject()
        json.endRecord()
    }

    static func text(_ change: IssuerChange) -> String {
        let steps = change.issuingCAs.map { "since \(HistoryDates.text($0.firstSeen)) \($0.issuer ?? $0.key) (\($0.count)x)" }
        return "\(change.name): " + steps.joined(separator: " -> ")
    }
}

enum HistoryDates {
    /// ISO 8601 UTC to the second, as the JSON has it.
    static func text(_ seconds: Int64) -> String {
        var json = JSONBuffer(capacity: 32)
        json.date(seconds: seconds)
        return String(decoding: json.bytes.dropFirst().dropLast(), as: UTF8.self)
    }
}
