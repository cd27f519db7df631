import Foundation
import OpenSSLBridge

/// The observation store on a PostgreSQL server that several sensors share: the same tables as
/// the SQLite store (`StoreSchema` through `SQLDialect`), the same statements and queries. Opened
/// and migrated here, written and kept within bounds in PostgresObservationStore+Write.swift.
/// One thread uses an instance at a time; several daemons may write the same database at once.
public final class PostgresObservationStore: SQLObservationStore {
    /// The URL with its password masked.
    public let path: String
    let connection: PostgresConnection
    /// Statements in PostgreSQL's spelling (`$n`), by their shared SQL.
    private var translated: [String: String] = [:]
    let hasher = SHA256Hasher()

    /// Where the schema version lives (SQLite's `PRAGMA user_version`): one row per migration.
    static let versionTable = "mitmwatch_schema"
    /// The advisory lock migrations hold, so daemons starting together migrate once ("mitm").
    static let migrationLock = StoreSchema.applicationID

    /// Connects to `url` and, for writing, creates or migrates the schema. A server that cannot be
    /// reached or refuses (password, database, sslmode) is `cannotOpen` naming the masked URL; a
    /// database of a newer mitmwatch is `newerSchema`; read-only, a database without the schema
    /// is `notAStore`.
    public init(url: String, readOnly: Bool) throws(StoreError) {
        path = PostgresURL.masked(url)
        if let problem = PostgresURL.problem(url) { throw .cannotOpen(path: path, reason: problem) }
        do {
            connection = try PostgresConnection(url: url)
        } catch {
            throw .cannotOpen(path: path, reason: PostgresURL.hidingPasswords(of: url, in: error.message))
        }
        // "relation already exists, skipping" and such would go to stderr.
        try run("SET client_min_messages = warning", "open")
        if readOnly {
            try run("SET default_transaction_read_only = on", "open")
            let version = try schemaVersion(creating: false)
            guard version > 0 else { throw .notAStore(path: path, reason: "empty: no store was written here yet") }
            if version > StoreSchema.currentVersion {
                throw .newerSchema(path: path, found: version, supported: StoreSchema.currentVersion)
            }
        } else {
            try migrate()
        }
    }

    /// The schema's version (0: none yet); `creating` makes the version table when missing.
    private func schemaVersion(creating: Bool) throws(StoreError) -> Int {
        if creating {
            try run("CREATE TABLE IF NOT EXISTS \(Self.versionTable) (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)", "open")
        } else {
            var exists = false
            try select("SELECT to_regclass(?) IS NOT NULL", "open", [.text(Self.versionTable)]) { exists = $0.text(0) == "t" }
            guard exists else { return 0 }
        }
        var version = 0
        try select("SELECT COALESCE(MAX(version), 0) FROM \(Self.versionTable)", "open", []) { version = $0.int(0) }
        return version
    }

    /// Applies the migrations the database lacks, in one transaction under an advisory lock (a
    /// second daemon starting at once waits, then finds them applied).
    private func migrate() throws(StoreError) {
        try transaction("migrate the schema") { () throws(StoreError) in
            try select("SELECT pg_advisory_xact_lock(?)", "migrate", [.int(Self.migrationLock)]) { _ in }
            let version = try schemaVersion(creating: true)
            if version > StoreSchema.currentVersion {
                throw .newerSchema(path: path, found: version, supported: StoreSchema.currentVersion)
            }
            guard version < StoreSchema.currentVersion else { return }
            for target in (version + 1)...StoreSchema.currentVersion {
                for sql in StoreSchema.migrations[target - 1] { try run(SQLDialect.postgreSQLSchema(sql), "migrate to schema version \(target)") }
                try select("INSERT INTO \(Self.versionTable) (version, applied) VALUES (?, ?)", "migrate",
                           [.int(target), .int(Int64(Date().timeIntervalSince1970))]) { _ in }
            }
        }
    }

    // MARK: Helpers for the extensions.

    public func select(_ sql: String, _ operation: String, _ parameters: [StoreValue],
                       row: (PostgresRow) -> Void) throws(StoreError) {
        let result = try execute(sql, operation, parameters)
        for index in 0..<result.rows { row(PostgresRow(result: result, row: index)) }
    }

    /// Runs `sql`, returning its result; a failure is a `StoreError` naming the operation.
    @discardableResult
    func execute(_ sql: String, _ operation: String, _ parameters: [StoreValue]) throws(StoreError) -> PostgresResult {
        let statement: String
        if let known = translated[sql] {
            statement = known
        } else {
            statement = SQLDialect.postgreSQLParameters(sql)
            if translated.count < 256 { translated[sql] = statement }
        }
        do {
            return try connection.execute(statement, parameters)
        } catch {
            throw .failed(path: path, operation: operation, error: SQLiteErrorSummary(error))
        }
    }

    func run(_ sql: String, _ operation: String) throws(StoreError) {
        try execute(sql, operation, [])
    }

    /// `body` in one transaction; rolled back when it throws.
    func transaction(_ operation: String, _ body: () throws(StoreError) -> Void) throws(StoreError) {
        try run("BEGIN", operation)
        do {
            try body()
            try run("COMMIT", operation)
        } catch {
            if !error.isDisconnected { try? run("ROLLBACK", operation) }
            throw error
        }
    }
}
