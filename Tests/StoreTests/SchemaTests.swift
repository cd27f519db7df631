import Foundation
import Testing
@testable import Store

/// The store file: created at the current schema version with WAL, reopened as it is, and every file that
/// is not a store refused with one line naming it.
@Suite struct SchemaTests {
    @Test func aNewStoreIsTheCurrentVersionInWALWithOurApplicationID() throws {
        let directory = StoreFixtures.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state.db").path
        _ = try SQLiteObservationStore(path: path, readOnly: false)
        #expect(try StoreFixtures.integer(path, "PRAGMA user_version") == Int64(StoreSchema.currentVersion))
        #expect(try StoreFixtures.integer(path, "PRAGMA application_id") == StoreSchema.applicationID)
        #expect(try StoreFixtures.text(path, "PRAGMA journal_mode") == "wal")
        #expect(try StoreFixtures.integer(path, "PRAGMA auto_vacuum") == 2)  // incremental
        for table in StoreSchema.tables {
            #expect(try StoreFixtures.integer(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = '\(table)'") == 1)
        }
        // Reopening migrates nothing and keeps what was written.
        let store = try SQLiteObservationStore(path: path, readOnly: false)
        var batch = StoreBatch()
        batch.dedup = [DedupEntry(key: "k", lastEmittedNanoseconds: 5, suppressed: 2)]
        try store.write(batch, sensor: "s")
        let again = try SQLiteObservationStore(path: path, readOnly: true)
        #expect(try again.dedupEntries(sensor: "s") == [DedupEntry(key: "k", lastEmittedNanoseconds: 5, suppressed: 2)])
        #expect(try StoreFixtures.integer(path, "PRAGMA user_version") == Int64(StoreSchema.currentVersion))
    }

    @Test func filesThatAreNotAStoreAreOneClearError() throws {
        let directory = StoreFixtures.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func attempt(_ name: String, readOnly: Bool = false) -> StoreError? {
            let path = directory.appendingPathComponent(name).path
            do {
                _ = try SQLiteObservationStore(path: path, readOnly: readOnly)
                return nil
            } catch {
                return error
            }
        }
        // Garbage.
        let garbage = directory.appendingPathComponent("garbage.db")
        try Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }).write(to: garbage)
        let garbageError = try #require(attempt("garbage.db"))
        #expect(garbageError.description == "\(garbage.path): not a mitmwatch state store (file is not a database)")
        #expect(garbageError.isDamage)
        #expect(!garbageError.description.contains("\n"))
        // Another application's SQLite database.
        let other = directory.appendingPathComponent("other.db").path
        try StoreFixtures.sql(other, "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT); INSERT INTO moz_places (url) VALUES ('x')")
        let otherError = try #require(attempt("other.db"))
        #expect(otherError.description == "\(other): not a mitmwatch state store (an SQLite database of another application (tables: moz_places))")
        #expect(try StoreFixtures.integer(other, "SELECT COUNT(*) FROM moz_places") == 1)  // left untouched
        let foreignID = directory.appendingPathComponent("foreign-id.db").path
        try StoreFixtures.sql(foreignID, "PRAGMA application_id = 42")
        #expect(attempt("foreign-id.db")?.description.contains("application_id 42") == true)
        // A newer mitmwatch's store.
        let newer = directory.appendingPathComponent("newer.db").path
        _ = try SQLiteObservationStore(path: newer, readOnly: false)
        try StoreFixtures.sql(newer, "PRAGMA user_version = 7")
        #expect(attempt("newer.db") == .newerSchema(path: newer, found: 7, supported: StoreSchema.currentVersion))
        #expect(attempt("newer.db")?.description
                == "\(newer): state store schema version 7 is newer than this mitmwatch supports (\(StoreSchema.currentVersion))")
        // Our version, a table missing.
        let partial = directory.appendingPathComponent("partial.db").path
        _ = try SQLiteObservationStore(path: partial, readOnly: false)
        try StoreFixtures.sql(partial, "DROP TABLE profiles")
        #expect(attempt("partial.db")?.description.contains("without table profiles") == true)
        // Read-only: no file, or nothing written yet.
        #expect(attempt("missing.db", readOnly: true) == .cannotOpen(path: directory.appendingPathComponent("missing.db").path,
                                                                      reason: "no such file"))
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("empty.db").path, contents: Data())
        #expect(attempt("empty.db", readOnly: true)?.isDamage == true)
    }

    @Test func aTruncatedStoreFailsItsQueriesWithOneLine() throws {
        let directory = StoreFixtures.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state.db").path
        let store = try SQLiteObservationStore(path: path, readOnly: false)
        var batch = StoreBatch()
        for index in 0..<2000 {
            let chain = StoreFixtures.chain(index)
            batch.chains.append(ChainObservation(
                name: ObservedName(name: "host\(index).example", kind: .sni), certificates: chain,
                issuer: "CN=Issuer \(index % 7)", issuingCA: "aki:\(index % 7)",
                firstSeen: 1000, lastSeen: 2000, passiveCount: 1, probeCount: 0, rules: []))
        }
        try store.write(batch, sensor: "s")
        try StoreFixtures.sql(path, "PRAGMA wal_checkpoint(TRUNCATE)")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size > 100_000)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(size / 3))
        try handle.close()
        // Opens (the header is there), and the first query that reaches a missing page says so.
        var failure: StoreError?
        do {
            let reader = try SQLiteObservationStore(path: path, readOnly: true)
            _ = try reader.chains(issuerContaining: "issuer", since: nil)
        } catch {
            failure = error
        }
        let error = try #require(failure)
        #expect(error.isDamage)
        #expect(error.description.hasPrefix("\(path): not a mitmwatch state store ("))
        #expect(!error.description.contains("\n"))
    }
}
