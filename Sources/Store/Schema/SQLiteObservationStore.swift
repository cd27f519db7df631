import Foundation
import OpenSSLBridge

/// The observation store in one SQLite file (WAL, synchronous=NORMAL, foreign keys): opened and
/// checked here, written in SQLiteObservationStore+Write.swift, kept within bounds in
/// +Maintenance, queried in Query/. One thread uses an instance at a time.
public final class SQLiteObservationStore: SQLObservationStore {
    public let path: String
    let database: SQLiteDatabase
    let readOnly: Bool
    /// Prepared statements by their SQL, prepared once per connection.
    private var statements: [String: SQLiteStatement] = [:]
    /// Chains known to be in the store with their certificate lists (committed), so a chain seen
    /// again costs one UPSERT, not one per certificate. Bounded; emptied when rows are removed.
    var knownChains: Set<[UInt8]> = []
    static let knownChainsCapacity = 65_536
    let hasher = SHA256Hasher()

    /// Opens (and, for writing, creates or migrates) the store at `path`. A file that is not a
    /// store, or is a newer one, is a `StoreError` naming it; nothing is written to it.
    public init(path: String, readOnly: Bool, busyTimeoutMilliseconds: Int32 = 5000) throws(StoreError) {
        self.path = path
        self.readOnly = readOnly
        if readOnly && !FileManager.default.fileExists(atPath: path) {
            throw .cannotOpen(path: path, reason: "no such file")
        }
        do {
            database = try SQLiteDatabase(path: path, mode: readOnly ? .readOnly : .readWrite)
        } catch {
            throw .cannotOpen(path: path, reason: error.message)
        }
        database.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
        let state = try inspect()
        if readOnly {
            guard state.version > 0 else { throw .notAStore(path: path, reason: "empty: no store was written here yet") }
            try run("PRAGMA query_only = ON", "open")
        } else {
            // Freed pages go back to the file system on `incremental_vacuum` (after retention and
            // the size cap); it can be chosen only before the file's first page is written.
            if state.version == 0 { try run("PRAGMA auto_vacuum = INCREMENTAL", "create") }
            try run("PRAGMA journal_mode = WAL", "open")
            try run("PRAGMA synchronous = NORMAL", "open")
            try run("PRAGMA foreign_keys = ON", "open")
            if state.version < StoreSchema.currentVersion { try migrate(from: state.version) }
        }
    }

    /// What the file is: its schema version, after checking it is ours.
    private func inspect() throws(StoreError) -> (version: Int, tables: [String]) {
        let applicationID = try integer("PRAGMA application_id", "open")
        let version = Int(try integer("PRAGMA user_version", "open"))
        var tables: [String] = []
        try query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name", "open") {
            if let name = $0.text(0) { tables.append(name) }
        }
        if applicationID != 0 && applicationID != StoreSchema.applicationID {
            throw .notAStore(path: path, reason: "an SQLite database of another application (application_id \(applicationID))")
        }
        if version > StoreSchema.currentVersion {
            throw .newerSchema(path: path, found: version, supported: StoreSchema.currentVersion)
        }
        if version == 0 && !tables.isEmpty {
            let shown = tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? ", …" : "")
            throw .notAStore(path: path, reason: "an SQLite database of another application (tables: \(shown))")
        }
        if version > 0 {
            let missing = StoreSchema.tables.filter { !tables.contains($0) }
            if !missing.isEmpty {
                throw .notAStore(path: path, reason: "schema version \(version) without table \(missing.joined(separator: ", "))")
            }
        }
        return (version, tables)
    }

    /// Applies the migrations after `version`, each in its own transaction.
    private func migrate(from version: Int) throws(StoreError) {
        for target in (version + 1)...StoreSchema.currentVersion {
            try transaction("migrate to schema version \(target)") { () throws(StoreError) in
                for sql in StoreSchema.migrations[target - 1] { try run(sql, "migrate") }
                try run("PRAGMA application_id = \(StoreSchema.applicationID)", "migrate")
                try run("PRAGMA user_version = \(target)", "migrate")
            }
        }
    }

    // MARK: Helpers for the extensions.

    func statement(_ sql: String, _ operation: String) throws(StoreError) -> SQLiteStatement {
        if let prepared = statements[sql] {
            prepared.reset()
            return prepared
        }
        do {
            let prepared = try database.prepare(sql)
            statements[sql] = prepared
            return prepared
        } catch {
            throw StoreError.from(error, path: path, operation: operation)
        }
    }

    /// Runs `sql` (no parameters, results ignored).
    func run(_ sql: String, _ operation: String) throws(StoreError) {
        do { try database.execute(sql) } catch { throw StoreError.from(error, path: path, operation: operation) }
    }

    /// The first column of the first row of `sql`.
    func integer(_ sql: String, _ operation: String) throws(StoreError) -> Int64 {
        var value: Int64 = 0
        try query(sql, operation) { value = $0.int64(0) }
        return value
    }

    /// Runs `sql` with `bind` setting its parameters, calling `row` for each row.
    func query(_ sql: String, _ operation: String, bind: (SQLiteStatement) throws(SQLiteError) -> Void = { _ in },
               row: (SQLiteStatement) throws(SQLiteError) -> Void) throws(StoreError) {
        let prepared = try statement(sql, operation)
        defer { prepared.reset() }
        do {
            try bind(prepared)
            while try prepared.step() { try row(prepared) }
        } catch {
            throw StoreError.from(error, path: path, operation: operation)
        }
    }

    /// The shared query path (`SQLObservationStore`): SQLite takes `?` as it is.
    public func select(_ sql: String, _ operation: String, _ parameters: [StoreValue],
                       row: (SQLiteStatement) -> Void) throws(StoreError) {
        try query(sql, operation, bind: { s throws(SQLiteError) in
            for (offset, parameter) in parameters.enumerated() {
                let index = Int32(offset + 1)
                switch parameter {
                case .int(let value): try s.bind(value, at: index)
                case .text(let value): try s.bind(value, at: index)
                case .bytes(let value): try s.bind(value, at: index)
                case .null: try s.bindNull(at: index)
                }
            }
        }, row: row)
    }

    /// `body` in one transaction (BEGIN IMMEDIATE: the write lock is taken up front, so a busy
    /// store fails here, not half way); rolled back when it throws.
    func transaction(_ operation: String, _ body: () throws(StoreError) -> Void) throws(StoreError) {
        try run("BEGIN IMMEDIATE", operation)
        do {
            try body()
            try run("COMMIT", operation)
        } catch {
            try? run("ROLLBACK", operation)
            throw error
        }
    }
}
