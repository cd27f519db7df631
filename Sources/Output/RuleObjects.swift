import Detector

/// Each rule's `"rule":{"id":…,"name":…,"description":…,"reference":…}` member, escaped once:
/// every alert carries the same four constant strings of its rule, which need not be escaped anew.
enum RuleObjects {
    static let encoded: [Rule: [UInt8]] = {
        var table: [Rule: [UInt8]] = [:]
        for rule in Rule.allCases {
            var json = JSONBuffer(capacity: 512)
            json.beginRecord()
            json.beginObject("rule")
            json.field("id", rule.rawValue)
            json.field("name", rule.name)
            json.field("description", rule.description)
            json.field("reference", rule.reference)
            json.endObject()
            json.endRecord()
            // Without the record's own `{` and `}\n`: the member alone.
            table[rule] = Array(json.bytes.dropFirst().dropLast(2))
        }
        return table
    }()
}
