/// `probe.exclude`: name suffixes never probed. "example.com" excludes example.com itself and
/// every name under it (www.example.com), not notexample.com.
struct FollowUpExclusion: Equatable {
    private let suffixes: [String]

    init(_ suffixes: [String]) { self.suffixes = suffixes.compactMap(Self.normalized) }

    /// A suffix as matched: lower case, without a leading "." or "*." and a trailing "."; nil when
    /// it is not a DNS name (letters, digits, '-', '_', dots between labels; at most 253 bytes).
    static func normalized(_ text: String) -> String? {
        var name = Substring(text.lowercased())
        if name.hasPrefix("*.") { name = name.dropFirst(2) } else if name.hasPrefix(".") { name = name.dropFirst() }
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, name.utf8.count <= 253 else { return nil }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let valid = labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
        }
        return valid ? String(name) : nil
    }

    /// Whether `serverName` (the session's SNI) is one of the suffixes or under one. A session
    /// without a name is never excluded by name.
    func excludes(_ serverName: String?) -> Bool {
        guard let serverName, !suffixes.isEmpty else { return false }
        var name = serverName.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return suffixes.contains { suffix in
            name == suffix || (name.hasSuffix(suffix) && name.utf8.dropLast(suffix.utf8.count).last == UInt8(ascii: "."))
        }
    }
}
