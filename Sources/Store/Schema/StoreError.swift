/// Why a store cannot be used, in one line naming the file (or the server's URL, password masked).
public enum StoreError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The file exists but is not a mitmwatch store: garbage, damaged or truncated, another
    /// application's database.
    case notAStore(path: String, reason: String)
    /// A store written by a newer mitmwatch (its schema version is beyond this one's).
    case newerSchema(path: String, found: Int, supported: Int)
    /// The file cannot be opened at all (missing, permissions, its directory).
    case cannotOpen(path: String, reason: String)
    /// A statement failed on a store that opened: locked, disk full, I/O error.
    case failed(path: String, operation: String, error: SQLiteErrorSummary)

    public var description: String {
        switch self {
        case .notAStore(let path, let reason): "\(path): not a mitmwatch state store (\(reason))"
        case .newerSchema(let path, let found, let supported):
            "\(path): state store schema version \(found) is newer than this mitmwatch supports (\(supported))"
        case .cannotOpen(let path, let reason): "\(path): cannot open the state store (\(reason))"
        case .failed(let path, let operation, let error): "\(path): \(operation) failed: \(error.message)"
        }
    }

    /// A store whose file should be moved aside and started afresh (the daemon does).
    public var isDamage: Bool {
        switch self {
        case .notAStore, .newerSchema: true
        case .failed(_, _, let error): error.isDamage
        case .cannotOpen: false
        }
    }

    /// Lock contention (another writer): worth retrying soon.
    public var isBusy: Bool {
        if case .failed(_, _, let error) = self { return error.isBusy }
        return false
    }

    /// The disk or its quota is full.
    public var isFull: Bool {
        if case .failed(_, _, let error) = self { return error.isFull }
        return false
    }

    /// The connection to the server died (it went away or restarted): the store must be opened
    /// again, which the writer does on its next try.
    public var isDisconnected: Bool {
        if case .failed(_, _, let error) = self { return error.isDisconnected }
        return false
    }
}

/// A database error's code and message (SQLite's, or PostgreSQL's with code 0), comparable (for
/// tests) and sendable.
public struct SQLiteErrorSummary: Sendable, Equatable {
    public var code: Int32
    public var message: String
    public var isDamage: Bool
    public var isBusy: Bool
    public var isFull: Bool
    public var isDisconnected = false

    init(_ error: SQLiteError) {
        code = error.code
        message = error.description
        isDamage = error.isDamage
        isBusy = error.isBusy
        isFull = error.isFull
    }
}

extension StoreError {
    /// A failed statement as the store's error: damage is said as such.
    static func from(_ error: SQLiteError, path: String, operation: String) -> StoreError {
        error.isDamage ? .notAStore(path: path, reason: error.message) : .failed(path: path, operation: operation, error: SQLiteErrorSummary(error))
    }
}

extension SQLiteErrorSummary {
    init(_ error: PostgresError) {
        code = 0
        message = error.description
        isDamage = false
        isBusy = error.isContention
        isFull = error.isFull
        isDisconnected = error.connectionLost
    }
}
