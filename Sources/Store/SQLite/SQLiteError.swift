import CSQLite

/// A failed SQLite call: its (extended) result code and SQLite's message for it.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public var code: Int32
    public var message: String

    public init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    /// The primary result code (the extended code's low byte).
    public var primaryCode: Int32 { code & 0xff }

    /// The file is not a database, or its pages are damaged.
    public var isDamage: Bool { primaryCode == SQLITE_NOTADB || primaryCode == SQLITE_CORRUPT }
    /// Another connection holds the lock past the busy timeout.
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }
    /// The disk (or the file system's quota) is full.
    public var isFull: Bool { primaryCode == SQLITE_FULL }

    public var description: String { "\(message) (SQLite code \(code))" }
}
