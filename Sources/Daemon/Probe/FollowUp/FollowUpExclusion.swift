/// `probe.exclude`: name suffixes never probed. "example.com" excludes example.com itself and
/// every name under it (www.example.com), not notexample.com.
struct FollowUpExclusion: Equatable {
    private let suffixes: [String]

    init(_ suffixes: [String]) { self.suffixes = suffixes.compactMap(Self.normalized) }

    /// A suffix as matched: a DNS name (`DNSName.normalized`) without a leading "." or "*.".
    static func normalized(_ text: String) -> String? {
        var name = Substring(text)
        if name.hasPrefix("*.") { name = name.dropFirst(2) } else if name.hasPrefix(".") { name = name.dropFirst() }
        return DNSName.normalized(name)
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
