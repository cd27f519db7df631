/// One entry of the watch list (`probe.targets`): a server name to probe by SNI, and where to
/// connect — the name itself, resolved at each probe (`"NAME"`, `"NAME:PORT"`), or a given host
/// (`"NAME@HOST"`, `"NAME@HOST:PORT"`, an IPv6 address in brackets), e.g. to test one server of a
/// name or an address the gateway's resolver would not return.
struct WatchTarget: Hashable, Sendable, CustomStringConvertible {
    /// The SNI, lower case.
    var serverName: String
    /// Where to connect; its host is `serverName` when the entry gave no `@HOST`.
    var connect: ProbeTarget

    var description: String {
        connect.host == serverName ? (connect.port == ProbeTarget.defaultPort ? serverName : "\(serverName):\(connect.port)")
            : "\(serverName)@\(connect)"
    }

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    init(parsing text: String) throws(Invalid) {
        func invalid(_ why: String) -> Invalid { Invalid(description: "\(text.debugDescription) \(why)") }
        let name: Substring, place: Substring?
        if let at = text.firstIndex(of: "@") {
            name = text[..<at]
            place = text[text.index(after: at)...]
        } else if let colon = text.firstIndex(of: ":") {
            name = text[..<colon]
            place = text[...]  // NAME:PORT connects to NAME
        } else {
            name = text[...]
            place = nil
        }
        guard let serverName = DNSName.normalized(name), HostAddress.parse(String(name)) == nil else {
            throw invalid("does not start with a server name (\"NAME\", \"NAME:PORT\" or \"NAME@HOST:PORT\")")
        }
        self.serverName = serverName
        guard let place else {
            connect = ProbeTarget(host: serverName, port: ProbeTarget.defaultPort, isAddress: false)
            return
        }
        do {
            connect = try ProbeTarget(parsing: String(place))
        } catch {
            throw invalid("has no valid HOST[:PORT] after the name: \(error.description)")
        }
        if !connect.isAddress { connect.host = connect.host.lowercased() }
    }
}
