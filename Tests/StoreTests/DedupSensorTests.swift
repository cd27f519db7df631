import Foundation
import Testing
import TestSupport
@testable import Store

/// The alert deduplication state is per sensor: in one store (a file, a PostgreSQL database) each
/// sensor loads exactly what it saved, and a save replaces its own rows only. A version-1 store
/// with saved state migrates to the sensor column and drops that state (`StoreSchema.version2`).
@Suite(.serialized) struct DedupSensorTests {
    static func saving(_ entries: [DedupEntry]?) -> StoreBatch {
        var batch = StoreBatch()
        batch.dedup = entries
        return batch
    }

    static func sorted(_ entries: [DedupEntry]) -> [DedupEntry] { entries.sorted { $0.key < $1.key } }

    /// Two sensors through two connections to one store (`open` makes one).
    static func twoSensorsKeepTheirOwn(_ open: () throws -> any ObservationStore) throws {
        let a = try open(), b = try open()
        // The same key under both: the key alone is not unique any more.
        let first = [DedupEntry(key: "shared", lastEmittedNanoseconds: 1_000_000_000, suppressed: 4),
                     DedupEntry(key: "only-a", lastEmittedNanoseconds: 2_000_000_000, suppressed: 0)]
        let others = [DedupEntry(key: "shared", lastEmittedNanoseconds: 7_000_000_000, suppressed: 1),
                      DedupEntry(key: "only-b", lastEmittedNanoseconds: 8_000_000_000, suppressed: 9)]
        try a.write(saving(first), sensor: "gw-a")
        try b.write(saving(others), sensor: "gw-b")
        #expect(sorted(try a.dedupEntries(sensor: "gw-a")) == sorted(first))
        #expect(sorted(try a.dedupEntries(sensor: "gw-b")) == sorted(others))
        #expect(sorted(try b.dedupEntries(sensor: "gw-a")) == sorted(first))

        // gw-a saves again: its rows are replaced, gw-b's stay as they were.
        let second = [DedupEntry(key: "later", lastEmittedNanoseconds: 3_000_000_000, suppressed: 2)]
        try a.write(saving(second), sensor: "gw-a")
        #expect(try a.dedupEntries(sensor: "gw-a") == second)
        #expect(sorted(try b.dedupEntries(sensor: "gw-b")) == sorted(others))

        // A batch without deduplication state leaves it alone; an empty state empties one sensor's.
        var history = saving(nil)
        history.chains = [ChainObservation(name: ObservedName(name: "a.example", kind: .sni), certificates: StoreFixtures.chain(1),
                                           issuer: nil, issuingCA: nil, firstSeen: 10, lastSeen: 10, passiveCount: 1,
                                           probeCount: 0, rules: [])]
        try a.write(history, sensor: "gw-a")
        #expect(try a.dedupEntries(sensor: "gw-a") == second)
        try b.write(saving([]), sensor: "gw-b")
        #expect(try b.dedupEntries(sensor: "gw-b").isEmpty)
        #expect(try b.dedupEntries(sensor: "gw-a") == second)
        // A sensor that never saved finds nothing, not another's.
        #expect(try a.dedupEntries(sensor: "gw-c").isEmpty)
    }

    @Test func twoSensorsInOneFileEachLoadTheirOwn() throws {
        let directory = StoreFixtures.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state.db").path
        try Self.twoSensorsKeepTheirOwn { try SQLiteObservationStore(path: path, readOnly: false) }
        #expect(try StoreFixtures.integer(path, "SELECT COUNT(*) FROM alert_dedup") == 1)
    }

    @Test func twoSensorsInOneDatabaseEachLoadTheirOwn() throws {
        guard let server = try PostgresStoreTests.server() else { return }
        defer { server.destroy() }
        try Self.twoSensorsKeepTheirOwn { try PostgresObservationStore(url: server.url(), readOnly: false) }
        #expect(try server.psql("SELECT sensor, key FROM alert_dedup", database: "mitmwatch")
                    .trimmingCharacters(in: .whitespacesAndNewlines) == "gw-a|later")
    }

    // MARK: A store at schema version 1.

    /// History and saved deduplication state (of two gateways: which is unknown) in version-1 tables.
    static let version1Rows = [
        "INSERT INTO names (id, name, kind) VALUES (1, 'old.example', 'sni')",
        """
        INSERT INTO profiles (name_id, sensor, version, cipher_suite, key_share_group, extension_types, alpn,
            client_offered_tls13, client_offered_mlkem, observation, first_seen, last_seen, count)
        VALUES (1, 'gw-a', 772, 4865, 29, '43,51', '', 1, 0, 'passive', 100, 200, 3)
        """,
        "INSERT INTO alert_dedup (key, last_emitted_ns, suppressed) VALUES ('from-a', 5000000000, 2), ('from-b', 6000000000, 0)",
    ]

    /// What a migrated store must show: its history kept, no sensor given the old state, and the
    /// new key in use.
    static func expectMigrated(_ store: any ObservationStore) throws {
        #expect(try store.nameHistories(limit: 10)["old.example"] != nil)
        for sensor in ["gw-a", "gw-b", ""] { #expect(try store.dedupEntries(sensor: sensor).isEmpty, "\(sensor)") }
        let saved = [DedupEntry(key: "from-a", lastEmittedNanoseconds: 9_000_000_000, suppressed: 0)]
        try store.write(saving(saved), sensor: "gw-a")
        try store.write(saving(saved), sensor: "gw-b")
        #expect(try store.dedupEntries(sensor: "gw-a") == saved)
        #expect(try store.dedupEntries(sensor: "gw-b") == saved)
    }

    @Test func aVersionOneFileMigratesAndDropsTheStateNoSensorOwns() throws {
        let directory = StoreFixtures.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state.db").path
        try StoreFixtures.sql(path, (["PRAGMA auto_vacuum = INCREMENTAL", "PRAGMA journal_mode = WAL"] + StoreSchema.version1
                                     + Self.version1Rows + ["PRAGMA application_id = \(StoreSchema.applicationID)", "PRAGMA user_version = 1"])
                                .joined(separator: ";\n"))
        // Read-only, nothing is migrated: the old table has no sensor to read by, and says so.
        let reader = try SQLiteObservationStore(path: path, readOnly: true)
        #expect(throws: StoreError.self) { try reader.dedupEntries(sensor: "gw-a") }
        #expect(try reader.nameHistories(limit: 10)["old.example"] != nil)

        let store = try SQLiteObservationStore(path: path, readOnly: false)
        #expect(try StoreFixtures.integer(path, "PRAGMA user_version") == Int64(StoreSchema.currentVersion))
        #expect(try StoreFixtures.integer(path, "SELECT COUNT(*) FROM pragma_table_info('alert_dedup') WHERE name = 'sensor'") == 1)
        #expect(try StoreFixtures.integer(path, "SELECT COUNT(*) FROM alert_dedup") == 0)
        try Self.expectMigrated(store)
        #expect(try StoreFixtures.text(path, "PRAGMA integrity_check") == "ok")
    }

    @Test func aVersionOneDatabaseMigratesOnceAndDropsTheStateNoSensorOwns() throws {
        guard let server = try PostgresStoreTests.server() else { return }
        defer { server.destroy() }
        // As mitmwatch 1 left it, owned by the store's role (which the migration must be able to alter).
        let version1 = ["SET ROLE mitmwatch",
                        "CREATE TABLE \(PostgresObservationStore.versionTable) (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)",
                        "INSERT INTO \(PostgresObservationStore.versionTable) (version, applied) VALUES (1, 0)"]
            + StoreSchema.version1.map(SQLDialect.postgreSQLSchema) + Self.version1Rows
        try server.psql(version1.joined(separator: ";\n"), database: "mitmwatch")

        // Two daemons starting together: one migrates under the advisory lock, the other finds it done.
        let failures = WriterTests.Said()
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            do throws(StoreError) {
                _ = try PostgresObservationStore(url: server.url(), readOnly: false)
            } catch {
                failures.say(error.description)
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all)")
        let versions = try server.psql("SELECT version FROM \(PostgresObservationStore.versionTable) ORDER BY version", database: "mitmwatch")
        #expect(versions.split(separator: "\n").map(String.init) == (1...StoreSchema.currentVersion).map(String.init))
        #expect(try server.psql("SELECT COUNT(*) FROM alert_dedup", database: "mitmwatch")
                    .trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        try Self.expectMigrated(try PostgresObservationStore(url: server.url(), readOnly: false))
    }
}
