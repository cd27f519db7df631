/// Server names as the probe settings take them (`probe.exclude`, `probe.targets`).
enum DNSName {
    /// `text` lower-cased, without a trailing "."; nil when it is not a DNS name (labels of 1–63
    /// letters, digits, '-' or '_', joined by dots; at most 253 bytes; the last label not all
    /// digits, so "999.1.1.1" is not taken for a name).
    static func normalized(_ text: Substring) -> String? {
        var name = Substring(text.lowercased())
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, name.utf8.count <= 253 else { return nil }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let valid = labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
        }
        let numericTop = labels.last?.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? true
        return valid && !numericTop ? String(name) : nil
    }
}
