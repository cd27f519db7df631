/// SNI names as the validator and the scope see them.
public enum HostName {
    /// Lowercased (ASCII), without one trailing dot; nil for an empty name or one with an empty label.
    public static func normalise(_ name: String) -> String? {
        if isNormal(name) { return name }
        var name = String(String.UnicodeScalarView(name.unicodeScalars.map { scalar in
            ("A"..."Z").contains(scalar) ? Unicode.Scalar(UInt8(scalar.value + 32)) : scalar
        }))
        if name.hasSuffix(".") { name.removeLast() }
        if name.hasPrefix("[") && name.hasSuffix("]") { return name }
        guard !name.isEmpty, !name.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty)
        else { return nil }
        return name
    }

    /// Already normal (the SNI of nearly every session): lowercase ASCII letters, digits, `-`,
    /// `_` and `.`, no empty label, no trailing dot — answered from the bytes, with no copy.
    private static func isNormal(_ name: String) -> Bool {
        var previous = UInt8(ascii: ".")
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"):
                break
            case UInt8(ascii: "."):
                if previous == UInt8(ascii: ".") { return false }
            default:
                return false
            }
            previous = byte
        }
        return previous != UInt8(ascii: ".")
    }

    /// An IPv4 dotted quad, or anything with a colon (an IPv6 literal, bracketed or not: no host
    /// name has one).
    public static func isIPLiteral(_ name: String) -> Bool {
        if name.contains(":") { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            (1...3).contains(part.count) && part.allSatisfy { ("0"..."9").contains($0) } && Int(part).map { $0 <= 255 } == true
        }
    }

    static func strippingBrackets(_ name: String) -> String {
        name.hasPrefix("[") && name.hasSuffix("]") ? String(name.dropFirst().dropLast()) : name
    }

    /// Top-level names reserved for special use (RFC 6761, RFC 6762, RFC 8375, RFC 7686, RFC
    /// 9476, ICANN's `.internal`) and `.lan`, common on home routers: never public, whatever a
    /// suffix list says. `.arpa` covers `home.arpa` and the reverse-DNS zones.
    public static let specialUseTopLevels: Set<String> = [
        "test", "local", "localhost", "internal", "invalid", "example", "onion", "lan", "arpa", "alt",
    ]
}

/// Which sessions the `untrusted-chain` rule judges.
public enum UntrustedScope: String, Sendable, CaseIterable {
    /// Sessions whose SNI is a public name: below a public suffix, not an IP literal, a single
    /// label or a special-use name. Private names use private CAs; judging them against a public
    /// store would alert on every intranet.
    case `public`
    /// Every session with a chain, with or without an SNI.
    case all
}

/// Whether the rule judges a session with this SNI under `scope`.
public func isInScope(sni: String?, scope: UntrustedScope, publicSuffixes: PublicSuffixList) -> Bool {
    switch scope {
    case .all: return true
    case .public: return sni.map(publicSuffixes.isUnderPublicSuffix) ?? false
    }
}
