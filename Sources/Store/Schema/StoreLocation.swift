/// Where the store is: a file (SQLite, the default) or a server's URL (PostgreSQL) — `--state`
/// and `state.path`/`state.url` as one value. A value beginning `postgresql://` or `postgres://`
/// is a URL, anything else a path.
public enum StoreLocation: Sendable, Equatable {
    case file(String)
    case server(url: String)

    public init(_ value: String) {
        self = PostgresURL.isURL(value) ? .server(url: value) : .file(value)
    }

    /// As messages show it: the path, or the URL with its password masked.
    public var shown: String {
        switch self {
        case .file(let path): path
        case .server(let url): PostgresURL.masked(url)
        }
    }

    public var isServer: Bool {
        if case .server = self { return true }
        return false
    }

    /// Opens the store (for writing: creating or migrating it).
    public func open(readOnly: Bool) throws(StoreError) -> any ObservationStore {
        switch self {
        case .file(let path): try SQLiteObservationStore(path: path, readOnly: readOnly)
        case .server(let url): try PostgresObservationStore(url: url, readOnly: readOnly)
        }
    }
}
