// The JSON writer records were made with before the byte-buffer encoder: the tests' oracle.

/// Writes one JSON object with keys in the order given (records stay diff-able and greppable).
/// Nested objects are written through closures; empty objects and nil values are left out.
struct JSONObjectWriter {
    private(set) var text = "{"
    private var isEmpty = true

    mutating func field(_ key: String, _ value: String?) {
        guard let value else { return }
        key_(key)
        Self.appendString(value, to: &text)
    }

    mutating func field(_ key: String, _ value: Int?) {
        guard let value else { return }
        key_(key)
        text += String(value)
    }

    mutating func field(_ key: String, _ value: UInt64?) {
        guard let value else { return }
        key_(key)
        text += String(value)
    }

    mutating func field(_ key: String, _ value: Bool?) {
        guard let value else { return }
        key_(key)
        text += value ? "true" : "false"
    }

    mutating func field(_ key: String, _ values: [String]?) {
        guard let values else { return }
        key_(key)
        text += "["
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            Self.appendString(value, to: &text)
        }
        text += "]"
    }

    mutating func field(_ key: String, _ value: Int64?) {
        guard let value else { return }
        key_(key)
        text += String(value)
    }

    /// An array of objects, each built by `build` from one element.
    mutating func objects<Element>(_ key: String, _ elements: [Element], _ build: (inout JSONObjectWriter, Element) -> Void) {
        key_(key)
        text += "["
        for (index, element) in elements.enumerated() {
            if index > 0 { text += "," }
            var nested = JSONObjectWriter()
            build(&nested, element)
            text += nested.finished
        }
        text += "]"
    }

    mutating func object(_ key: String, _ build: (inout JSONObjectWriter) -> Void) {
        var nested = JSONObjectWriter()
        build(&nested)
        guard !nested.isEmpty else { return }
        key_(key)
        text += nested.finished
    }

    var finished: String { text + "}" }

    private mutating func key_(_ key: String) {
        if !isEmpty { text += "," }
        isEmpty = false
        Self.appendString(key, to: &text)
        text += ":"
    }

    /// RFC 8259 string escaping; control characters as \u00XX.
    static func appendString(_ value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
