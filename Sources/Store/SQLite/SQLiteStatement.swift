import CSQLite

/// A prepared statement: bind parameters (1-based), step through rows, read columns (0-based),
/// reset to run again. Values are copied in (SQLITE_TRANSIENT) and out, so no pointer outlives a
/// call. Holds its connection alive; finalized in deinit.
@safe
public final class SQLiteStatement {
    private let handle: OpaquePointer
    private let database: SQLiteDatabase

    init(handle: OpaquePointer, database: SQLiteDatabase) {
        unsafe self.handle = handle
        self.database = database
    }

    deinit {
        // unsafe: the statement is owned here and finalized once.
        _ = unsafe sqlite3_finalize(handle)
    }

    public func bind(_ value: Int64?, at index: Int32) throws(SQLiteError) {
        // unsafe: the statement is valid; integers are passed by value.
        let code = unsafe value.map { unsafe sqlite3_bind_int64(handle, index, $0) } ?? sqlite3_bind_null(handle, index)
        try check(code)
    }

    public func bind(_ value: Int?, at index: Int32) throws(SQLiteError) {
        try bind(value.map(Int64.init), at: index)
    }

    public func bind(_ value: String?, at index: Int32) throws(SQLiteError) {
        guard let value else { return try bindNull(at: index) }
        // unsafe: withCString's pointer is valid (and NUL-terminated, embedded NULs kept) for the
        // call, and the shim binds with SQLITE_TRANSIENT, so SQLite copies the bytes before returning.
        let code = unsafe value.withCString { unsafe mw_sqlite3_bind_text_copy(handle, index, $0, Int32(value.utf8.count)) }
        try check(code)
    }

    public func bind(_ value: [UInt8]?, at index: Int32) throws(SQLiteError) {
        guard let value else { return try bindNull(at: index) }
        // unsafe: the buffer is valid for the call and SQLite copies it (SQLITE_TRANSIENT); an
        // empty blob is bound as a zero-length blob, not NULL (a nil base address would be NULL).
        let code = unsafe value.withUnsafeBytes { bytes in
            unsafe bytes.isEmpty ? sqlite3_bind_zeroblob(handle, index, 0)
                : mw_sqlite3_bind_blob_copy(handle, index, bytes.baseAddress, Int32(bytes.count))
        }
        try check(code)
    }

    public func bindNull(at index: Int32) throws(SQLiteError) {
        // unsafe: the statement is valid.
        try check(unsafe sqlite3_bind_null(handle, index))
    }

    /// Runs to the next row: true when there is one to read, false when the statement is done.
    public func step() throws(SQLiteError) -> Bool {
        // unsafe: the statement is valid and owned by this thread.
        let code = unsafe sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        throw database.error(code)
    }

    /// Runs a statement that returns no rows (or ignores them).
    public func run() throws(SQLiteError) {
        while try step() {}
    }

    /// Ready to run again: bindings cleared.
    public func reset() {
        // unsafe: the statement is valid; reset's result repeats the last step's error, already thrown.
        _ = unsafe sqlite3_reset(handle)
        _ = unsafe sqlite3_clear_bindings(handle)
    }

    public func isNull(_ column: Int32) -> Bool {
        // unsafe: the statement is on a row.
        unsafe sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    public func int64(_ column: Int32) -> Int64 {
        // unsafe: the statement is on a row.
        unsafe sqlite3_column_int64(handle, column)
    }

    public func int(_ column: Int32) -> Int { Int(int64(column)) }

    public func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    /// The column as text (nil when NULL); invalid UTF-8 is repaired, not trusted.
    public func text(_ column: Int32) -> String? {
        // unsafe: column_text's bytes stay valid until the next step/reset/column conversion;
        // they are copied into a String (column_bytes read after column_text, as SQLite requires).
        guard let bytes = unsafe sqlite3_column_text(handle, column) else { return nil }
        let count = Int(unsafe sqlite3_column_bytes(handle, column))
        return unsafe String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// The column as bytes (nil when NULL; a zero-length blob is empty).
    public func blob(_ column: Int32) -> [UInt8]? {
        guard !isNull(column) else { return nil }
        // unsafe: column_blob's bytes stay valid until the next step/reset; they are copied out
        // (column_bytes read after column_blob, as SQLite requires).
        guard let bytes = unsafe sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(unsafe sqlite3_column_bytes(handle, column))
        return unsafe Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    private func check(_ code: Int32) throws(SQLiteError) {
        guard code == SQLITE_OK else { throw database.error(code) }
    }
}
