import CSQLite

/// One SQLite connection: open, run SQL, prepare statements. The unsafe core of the store, with
/// `SQLiteStatement`; everything above it is safe Swift. Not thread-safe: one thread uses a
/// connection (the writer's thread, or a query's), so it is opened with SQLITE_OPEN_NOMUTEX.
@safe
public final class SQLiteDatabase {
    public enum Mode: Sendable {
        /// Read and write, creating the file when it does not exist.
        case readWrite
        /// Read only (queries beside a running writer: WAL lets them read a consistent snapshot).
        case readOnly
    }

    /// The sqlite3 connection; owned here, closed in deinit.
    let handle: OpaquePointer
    public let path: String

    public init(path: String, mode: Mode) throws(SQLiteError) {
        var opened: OpaquePointer?
        let flags = (mode == .readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_NOMUTEX
        // unsafe: `path` is bridged to a C string alive for the call; `opened` receives the handle.
        let code = unsafe sqlite3_open_v2(path, &opened, flags, nil)
        guard code == SQLITE_OK, let connection = unsafe opened else {
            // unsafe: a failed open may still return a handle carrying the message; it is closed here.
            let message = unsafe opened.map { unsafe String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            _ = unsafe sqlite3_close_v2(opened)
            throw SQLiteError(code: code, message: message)
        }
        unsafe handle = connection
        self.path = path
        // unsafe: the handle is open and owned by this object.
        _ = unsafe sqlite3_extended_result_codes(handle, 1)
    }

    deinit {
        // unsafe: close_v2 closes once every statement (each holds this object alive) is finalized.
        _ = unsafe sqlite3_close_v2(handle)
    }

    /// Runs SQL without results (several statements separated by `;` are fine).
    public func execute(_ sql: String) throws(SQLiteError) {
        // unsafe: `sql` is a C string alive for the call; no callback, so no pointer escapes.
        let code = unsafe sqlite3_exec(handle, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw error(code) }
    }

    public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        var prepared: OpaquePointer?
        // unsafe: `sql` is a NUL-terminated C string alive for the call (-1: read to the NUL).
        let code = unsafe sqlite3_prepare_v2(handle, sql, -1, &prepared, nil)
        guard code == SQLITE_OK, let statement = unsafe prepared else { throw error(code) }
        return unsafe SQLiteStatement(handle: statement, database: self)
    }

    /// Milliseconds a statement waits for another connection's lock before failing with SQLITE_BUSY.
    public func setBusyTimeout(milliseconds: Int32) {
        // unsafe: the handle is open.
        _ = unsafe sqlite3_busy_timeout(handle, milliseconds)
    }

    /// Rows the last INSERT, UPDATE or DELETE changed.
    public var changes: Int {
        // unsafe: the handle is open.
        Int(unsafe sqlite3_changes(handle))
    }

    /// The error for `code` with the connection's message.
    func error(_ code: Int32) -> SQLiteError {
        // unsafe: errmsg returns a string owned by the connection, copied before any other call.
        SQLiteError(code: unsafe sqlite3_extended_errcode(handle), message: unsafe String(cString: sqlite3_errmsg(handle)))
    }
}
