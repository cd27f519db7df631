import Foundation
import Synchronization
import Wire

/// The Public Suffix List (publicsuffix.org), both its ICANN and private sections.
///
/// A name is "under a public suffix" when an explicit rule of the list matches it (normal,
/// wildcard or exception, with the list's precedence) and it has at least one label more than
/// the suffix that rule makes public. The list's implicit `*` rule is not applied: a name under
/// an unlisted top-level label (`printer.corp`) is private, not public. IP literals, single labels
/// and special-use names are never under a public suffix. Internationalised rules are matched
/// in their A-label (`xn--`) form, the form an SNI carries.
public struct PublicSuffixList: Sendable {
    public static let systemPath = "/usr/share/publicsuffix/public_suffix_list.dat"

    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var reason: String
        public var description: String { "public suffix list \(path): \(reason)" }
    }

    private let source: PublicSuffixSource

    public var ruleCount: Int { source.rules.count }

    /// The list Debian's `publicsuffix` package installs.
    public static func system() throws(LoadError) -> PublicSuffixList { try load(path: systemPath) }

    /// The list at `path`: read and checked now (a missing file, or one without a rule, is an
    /// error at start as before), its 10,000 rules parsed when the first name is checked — the
    /// list is only needed for sessions `untrusted-chain` judges, and a start should not pay for it.
    public static func load(path: String) throws(LoadError) -> PublicSuffixList {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(path: path, reason: "cannot be read (on Debian: apt-get install publicsuffix)")
        }
        let bytes = [UInt8](data)
        if PublicSuffixRules.hasPlainRule(bytes.span) { return PublicSuffixList(source: PublicSuffixSource(unparsed: bytes)) }
        // No plain ASCII rule: only a full parse can tell whether any rule is left.
        let list = PublicSuffixList(source: PublicSuffixSource(parsed: PublicSuffixRules(bytes: bytes.span)))
        if list.ruleCount == 0 { throw LoadError(path: path, reason: "no rules in it") }
        return list
    }

    private init(source: PublicSuffixSource) { self.source = source }

    /// Parses the list's format: one rule per line (up to the first white space), `//` comments.
    public init(text: String) { source = PublicSuffixSource(parsed: PublicSuffixRules(bytes: text.utf8.span)) }

    /// Whether `hostname` has at least one label below a public suffix (see the type's notes).
    public func isUnderPublicSuffix(_ hostname: String) -> Bool {
        guard let normalised = HostName.normalise(hostname), !HostName.isIPLiteral(normalised),
              let name = Punycode.toASCII(normalised.lowercased())
        else { return false }
        let labels = name.split(separator: ".")
        guard labels.count >= 2, let top = labels.last, !HostName.specialUseTopLevels.contains(String(top)),
              !top.allSatisfy({ ("0"..."9").contains($0) })
        else { return false }
        guard let suffixLabels = publicSuffixLength(labels) else { return false }
        return labels.count > suffixLabels
    }

    /// How many trailing labels form the public suffix by the prevailing explicit rule, or nil
    /// when no rule matches.
    func publicSuffixLength(_ labels: [Substring]) -> Int? { source.rules.publicSuffixLength(labels) }
}

/// The list's bytes until a name is first checked, then its rules. Shared by every copy of the
/// list (every worker's rule set); the lock is taken once per name a worker has not judged
/// before (`UntrustedChainRule` keeps its answers), not per packet.
final class PublicSuffixSource: Sendable {
    private enum State {
        case unparsed([UInt8])
        case parsed(PublicSuffixRules)
    }

    private let state: Mutex<State>

    init(unparsed bytes: [UInt8]) { state = Mutex(.unparsed(bytes)) }
    init(parsed rules: PublicSuffixRules) { state = Mutex(.parsed(rules)) }

    var rules: PublicSuffixRules {
        state.withLock { state in
            switch state {
            case .parsed(let rules):
                return rules
            case .unparsed(let bytes):
                let rules = PublicSuffixRules(bytes: bytes.span)
                state = .parsed(rules)
                return rules
            }
        }
    }
}

/// The rules of a list: normal, wildcard and exception rules, each in its A-label form.
struct PublicSuffixRules: Sendable {
    private var rules: Set<String> = []
    /// `*.ck` is stored as `ck`.
    private var wildcards: Set<String> = []
    /// `!www.ck` is stored as `www.ck`.
    private var exceptions: Set<String> = []

    var count: Int { rules.count + wildcards.count + exceptions.count }

    private init() {}

    /// Whether some line holds a rule that is plain ASCII once its `!` or `*.` is taken off (so
    /// the list surely has a rule), found without parsing the rest.
    static func hasPlainRule(_ bytes: Span<UInt8>) -> Bool {
        var found = false
        forEachToken(bytes) { token in
            var start = 0
            if token[0] == UInt8(ascii: "!") { start = 1 } else if token.count >= 2 && token[0] == UInt8(ascii: "*")
                && token[1] == UInt8(ascii: ".") { start = 2 }
            guard start < token.count else { return true }
            for index in start..<token.count where token[index] >= 0x80 { return true }
            found = true
            return false
        }
        return found
    }

    /// Each line's rule token (up to the first white space), comments and blank lines skipped,
    /// until `body` returns false.
    private static func forEachToken(_ bytes: Span<UInt8>, _ body: (Span<UInt8>) -> Bool) {
        var index = 0
        let count = bytes.count
        while index < count {
            var end = index
            while end < count, bytes[end] != 0x0A, bytes[end] != 0x0D { end += 1 }
            var start = index
            while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
            var tokenEnd = start
            while tokenEnd < end, bytes[tokenEnd] != 0x20, bytes[tokenEnd] != 0x09 { tokenEnd += 1 }
            index = end + 1
            guard tokenEnd > start, !(tokenEnd - start >= 2 && bytes[start] == 0x2F && bytes[start + 1] == 0x2F)
            else { continue }
            guard body(bytes.extracting(start..<tokenEnd)) else { return }
        }
    }

    /// The list's bytes, read as bytes: a plain ASCII rule becomes its string straight from its
    /// bytes; only the few hundred rules that are not ASCII go through Unicode and Punycode.
    init(bytes: Span<UInt8>) {
        var parsed = PublicSuffixRules()
        parsed.rules.reserveCapacity(bytes.count / 24)
        Self.forEachToken(bytes) { token in
            parsed.add(rule: token)
            return true
        }
        self = parsed
    }

    private mutating func add(rule token: Span<UInt8>) {
        var token = token
        var isException = false
        var isWildcard = false
        if token[0] == UInt8(ascii: "!") {
            isException = true
            token = token.extracting(1...)
        } else if token.count >= 2 && token[0] == UInt8(ascii: "*") && token[1] == UInt8(ascii: ".") {
            isWildcard = true
            token = token.extracting(2...)
        }
        var isASCII = true, hasUppercase = false
        for position in 0..<token.count {
            let byte = token[position]
            if byte >= 0x80 { isASCII = false }
            if byte >= 0x41 && byte <= 0x5A { hasUppercase = true }
        }
        let ascii: String
        if isASCII {
            ascii = hasUppercase ? String(utf8: token).lowercased() : String(utf8: token)
        } else {
            guard let encoded = Punycode.toASCII(String(utf8: token).lowercased()) else { return }
            ascii = encoded
        }
        guard !ascii.isEmpty else { return }
        if isException { exceptions.insert(ascii) } else if isWildcard { wildcards.insert(ascii) } else { rules.insert(ascii) }
    }

    /// How many trailing labels form the public suffix by the prevailing explicit rule, or nil
    /// when no rule matches.
    func publicSuffixLength(_ labels: [Substring]) -> Int? {
        let count = labels.count
        func suffix(from start: Int) -> String { labels[start...].joined(separator: ".") }
        // An exception rule prevails over everything; its suffix is the rule minus its first label.
        for start in 0..<count where exceptions.contains(suffix(from: start)) {
            return count - start - 1
        }
        // Otherwise the longest matching rule (a wildcard counts its `*` label).
        for start in 0..<count {
            if rules.contains(suffix(from: start)) { return count - start }
            if start + 1 < count, wildcards.contains(suffix(from: start + 1)) { return count - start }
        }
        return nil
    }
}

/// RFC 3492 Punycode, for turning the list's Unicode rules into the A-labels SNIs carry.
enum Punycode {
    /// Every non-ASCII label as `xn--…`; nil when a label cannot be encoded.
    static func toASCII(_ name: String) -> String? {
        var labels: [String] = []
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            if label.unicodeScalars.allSatisfy(\.isASCII) {
                labels.append(String(label))
            } else {
                guard let encoded = encode(label.unicodeScalars.map(\.value)) else { return nil }
                labels.append("xn--" + encoded)
            }
        }
        return labels.joined(separator: ".")
    }

    private static let base: UInt32 = 36, tMin: UInt32 = 1, tMax: UInt32 = 26
    private static let skew: UInt32 = 38, damp: UInt32 = 700

    static func encode(_ input: [UInt32]) -> String? {
        var output = String.UnicodeScalarView(input.filter { $0 < 0x80 }.map { Unicode.Scalar(UInt8($0)) })
        let basicCount = UInt32(output.count)
        if basicCount > 0 { output.append("-") }
        var n: UInt32 = 0x80, delta: UInt32 = 0, bias: UInt32 = 72, handled = basicCount
        while handled < UInt32(input.count) {
            guard let next = input.filter({ $0 >= n }).min() else { return nil }
            let (step, overflow) = (next - n).multipliedReportingOverflow(by: handled + 1)
            guard !overflow, delta <= UInt32.max - step else { return nil }
            delta += step
            n = next
            for scalar in input {
                if scalar < n {
                    guard delta < UInt32.max else { return nil }
                    delta += 1
                }
                guard scalar == n else { continue }
                var q = delta
                var k = base
                while true {
                    let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                    if q < t { break }
                    output.append(digit(t + (q - t) % (base - t)))
                    q = (q - t) / (base - t)
                    k += base
                }
                output.append(digit(q))
                bias = adapt(delta, points: handled + 1, first: handled == basicCount)
                delta = 0
                handled += 1
            }
            delta += 1
            n += 1
        }
        return String(output)
    }

    private static func digit(_ value: UInt32) -> Unicode.Scalar {
        Unicode.Scalar(UInt8(value < 26 ? 97 + value : 22 + value))
    }

    private static func adapt(_ delta: UInt32, points: UInt32, first: Bool) -> UInt32 {
        var delta = first ? delta / damp : delta / 2
        delta += delta / points
        var k: UInt32 = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }
}
