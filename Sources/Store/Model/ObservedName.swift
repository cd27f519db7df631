/// What a history is kept for: the server name a client asked for (SNI, lower case), or the
/// server's address when the client named none.
public struct ObservedName: Hashable, Sendable {
    public enum Kind: String, Sendable {
        case sni
        case address
    }

    public var name: String
    public var kind: Kind

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}
