/// What `mitmwatch probe` is asked to connect to: `HOST[:PORT]`, an IPv6 address in brackets
/// (`[2001:db8::1]:8443`, `[::1]`), port 443 when none is given.
struct ProbeTarget: Hashable, Sendable, CustomStringConvertible {
    var host: String
    var port: UInt16
    /// Whether `host` is an address rather than a name to resolve (and to send as the SNI).
    var isAddress: Bool

    static let defaultPort: UInt16 = 443

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    init(host: String, port: UInt16, isAddress: Bool) {
        self.host = host
        self.port = port
        self.isAddress = isAddress
    }

    /// Why a target does not parse, naming it.
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// Parses one TARGET argument; the error names it and says what is wrong.
    init(parsing text: String) throws(Invalid) {
        func invalid(_ why: String) -> Invalid { Invalid(description: "target '\(text)': \(why)") }
        var host = Substring(text)
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw invalid("an IPv6 address opened with [ is not closed") }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw invalid("expected :PORT after the bracketed address") }
                port = rest.dropFirst()
            }
            guard HostAddress.parse(String(host)).map({ !$0.isIPv4 }) == true else {
                throw invalid("'\(host)' in brackets is not an IPv6 address")
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard host.firstIndex(of: ":") == colon else {
                throw invalid("an IPv6 address must be in brackets, e.g. [2001:db8::1]:443")
            }
            port = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw invalid("no host") }
        guard host.utf8.count <= 253, host.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "/" }) else {
            throw invalid("'\(host)' is not a host name or an address")
        }
        var number = Self.defaultPort
        if let port {
            guard let value = UInt16(port), value > 0 else { throw invalid("port '\(port)' is not a number from 1 to 65535") }
            number = value
        }
        self.init(host: String(host), port: number, isAddress: HostAddress.parse(String(host)) != nil)
    }
}
