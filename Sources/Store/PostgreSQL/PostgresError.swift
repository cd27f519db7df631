/// A failed libpq call: the server's (or libpq's) message on one line, and the SQLSTATE when the
/// server sent one.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// Five characters ("40001"), nil when the error is libpq's (no connection, a dead socket).
    public var sqlState: String?
    /// The connection is gone (the server went away or restarted): a new one is needed.
    public var connectionLost: Bool

    public init(message: String, sqlState: String? = nil, connectionLost: Bool = false) {
        // libpq's messages span lines ("connection to server … failed: FATAL:  …\n"): one line.
        self.message = message.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        self.sqlState = sqlState
        self.connectionLost = connectionLost || sqlState.map { $0.hasPrefix("08") || $0 == "57P01" || $0 == "57P02" } ?? false
    }

    /// Another transaction got there first: serialization failure, deadlock, a unique key
    /// raced, a lock not available. Worth running the transaction again.
    public var isContention: Bool { ["40001", "40P01", "23505", "55P03"].contains(sqlState ?? "") }

    /// The server's disk is full (53100) or out of memory or connections (53xxx).
    public var isFull: Bool { sqlState?.hasPrefix("53") ?? false }

    public var description: String { sqlState.map { "\(message) (SQLSTATE \($0))" } ?? message }
}
