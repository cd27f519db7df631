import Certificates
import Detector
import Foundation
import Testing
import TestSupport
@testable import Store

/// The store on a real PostgreSQL server (started here in a temporary directory, stopped by its
/// PID): the same answers as SQLite for the same batches, writers that share rows, a server that
/// stops and restarts under the writer.
@Suite(.serialized) struct PostgresStoreTests {
    /// A server for one test, or nil (recorded) when this machine cannot run one.
    static func server() throws -> PostgresServer? {
        if let reason = PostgresServer.unavailable {
            Issue.record("PostgreSQL tests skipped: \(reason)")
            return nil
        }
        return try PostgresServer()
    }

    /// Batches with what the queries look at: two names, an issuer change, a rule, a probe, a
    /// TLS 1.3 profile, parsed leaves, a deduplication state.
    static func batches() -> [StoreBatch] {
        var aggregator = ObservationAggregator()
        let a = StoreFixtures.chain(1), b = StoreFixtures.chain(2), c = StoreFixtures.chain(3)
        aggregator.add(StoreFixtures.report(sni: "a.example", chain: a, at: 1_000,
                                            known: [StoreFixtures.leaf(of: a, issuer: "CN=Good CA,O=Example", keyIdentifier: "aa11")]))
        aggregator.add(StoreFixtures.report(sni: "a.example", chain: b, at: 2_000, findings: [StoreFixtures.finding(.knownInterceptionCA)],
                                            known: [StoreFixtures.leaf(of: b, issuer: "CN=Security Certificate,C=KZ", keyIdentifier: "bb22")]))
        aggregator.add(StoreFixtures.report(sni: "b.example", chain: c, at: 1_500, observation: .probe))
        aggregator.add(StoreFixtures.report(sni: "c.example", chain: nil, at: 1_700, offerMLKEM: true, group: 0x11EC))
        var first = aggregator.drain()
        first.dedup = [DedupEntry(key: "k1", lastEmittedNanoseconds: 5_000_000_000_000_000_000, suppressed: 3)]
        aggregator.add(StoreFixtures.report(sni: "a.example", chain: a, at: 3_000))
        aggregator.add(StoreFixtures.report(sni: "address-only", chain: nil, at: 900))
        return [first, aggregator.drain()]
    }

    @Test func aServerAnswersAsSQLiteDoesForTheSameBatches() throws {
        guard let server = try Self.server() else { return }
        defer { server.destroy() }
        let directory = StoreFixtures.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sqlite = try SQLiteObservationStore(path: directory.appendingPathComponent("state.db").path, readOnly: false)
        let postgres = try PostgresObservationStore(url: server.url(), readOnly: false)
        #expect(!postgres.path.contains(PostgresServer.password) && postgres.path.contains("***"))
        for batch in Self.batches() {
            try sqlite.write(batch, sensor: "gw1")
            try postgres.write(batch, sensor: "gw1")
        }
        let stores: [any ObservationStore] = [sqlite, try PostgresObservationStore(url: server.url(), readOnly: true)]
        let answers = try stores.map { store in
            (try store.chains(named: "A.example", since: nil), try store.chains(named: "a.example", since: 2_500),
             try store.chains(issuerContaining: "security certificate", since: nil), try store.chains(caKey: "aki:bb22", since: nil),
             try store.chains(caKey: StoreFixtures.fingerprint(99_999).description, since: nil),
             try store.issuerChanges(since: nil), try store.dedupEntries(sensor: "gw1"), try store.nameHistories(limit: 10))
        }
        let (named, since, issuer, key, spki, changes, dedup, seed) = answers[1]
        #expect(named.count == 2 && named.map(\.count) == [2, 1], "\(named)")
        #expect(named.allSatisfy { $0.sensors == ["gw1"] })
        #expect(named.last?.rules == ["known-interception-ca"])
        #expect(since.count == 1 && issuer.count == 1 && key.count == 1 && spki.count == 2)
        #expect(changes.count == 1 && changes.first?.issuingCAs.count == 2)
        #expect(dedup == [DedupEntry(key: "k1", lastEmittedNanoseconds: 5_000_000_000_000_000_000, suppressed: 3)])
        #expect(seed.keys.contains("a.example") && seed.keys.contains("c.example"), "\(seed.keys)")
        let sqliteAnswers = answers[0]
        #expect(sqliteAnswers.0 == named && sqliteAnswers.1 == since && sqliteAnswers.2 == issuer && sqliteAnswers.3 == key
                && sqliteAnswers.4 == spki && sqliteAnswers.5 == changes && sqliteAnswers.6 == dedup)
        #expect(Set(sqliteAnswers.7.keys) == Set(seed.keys))
        for name in seed.keys {
            #expect(sqliteAnswers.7[name]?.issuers.map(\.key) == seed[name]?.issuers.map(\.key), "\(name)")
        }

        // Opening again migrates nothing; retention removes the same rows, and what nothing references.
        let again = try PostgresObservationStore(url: server.url(), readOnly: false)
        #expect(try server.psql("SELECT COUNT(*) FROM mitmwatch_schema", database: "mitmwatch")
                    .trimmingCharacters(in: .whitespacesAndNewlines) == String(StoreSchema.currentVersion))
        #expect(try again.removeHistory(lastSeenBefore: 1_600) == (try sqlite.removeHistory(lastSeenBefore: 1_600)))
        #expect(try again.chains(named: "b.example", since: nil).isEmpty)
        #expect(try server.psql("SELECT COUNT(*) FROM chains", database: "mitmwatch").trimmingCharacters(in: .whitespacesAndNewlines)
                == String(try sqlite.integer("SELECT COUNT(*) FROM chains", "test")))
        #expect(try again.usedBytes() > 0)
    }

    @Test func aServerStoppedAndRestartedUnderTheWriterKeepsWhatWasFlushedAndTakesTheRest() throws {
        guard let server = try Self.server() else { return }
        defer { server.destroy() }
        let url = server.url()
        let said = WriterTests.Said()
        var configuration = StoreWriterConfiguration()
        configuration.flushSeconds = 3600
        configuration.retrySeconds = 0.05
        configuration.maxRetrySeconds = 0.2
        configuration.sensor = "gw1"
        let sink = ObservationSink(configuration: configuration, open: { () throws(StoreError) in
            try PostgresObservationStore(url: url, readOnly: false)
        }, say: { said.say($0) })
        sink.start()
        sink.record(StoreFixtures.report(sni: "before.example", chain: StoreFixtures.chain(1), at: 100))
        sink.flush()
        #expect(sink.counters.batchesWritten == 1)

        server.stop()
        sink.record(StoreFixtures.report(sni: "during.example", chain: StoreFixtures.chain(2), at: 200))
        sink.flush()
        #expect(sink.counters.batchesFailed >= 1 && sink.counters.queuedBatches == 1)
        #expect(said.all.count == 1 && said.all.first?.contains("***") == true, "\(said.all)")
        #expect(!said.all.joined().contains(PostgresServer.password))

        try server.start()
        sink.record(StoreFixtures.report(sni: "after.example", chain: StoreFixtures.chain(3), at: 300))
        sink.flush()  // the dead connection is replaced: both waiting batches go in
        sink.finish()
        #expect(sink.counters.batchesWritten == 3 && sink.counters.dropped == 0, "\(sink.counters) \(said.all)")
        #expect(said.all.last?.contains("writing again") == true, "\(said.all)")
        let store = try PostgresObservationStore(url: url, readOnly: true)
        for name in ["before.example", "during.example", "after.example"] {
            #expect(try store.chains(named: name, since: nil).map(\.count) == [1], "\(name)")
        }
    }

    @Test func severalWritersOnTheSameRowsAddUpExactly() throws {
        guard let server = try Self.server() else { return }
        defer { server.destroy() }
        let url = server.url()
        _ = try PostgresObservationStore(url: url, readOnly: false)
        let failures = WriterTests.Said()
        let writers = 3, rounds = 40
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            do throws(StoreError) {
                let store = try PostgresObservationStore(url: url, readOnly: false)
                for round in 0..<rounds {
                    var aggregator = ObservationAggregator()
                    // The same names and chains, in an order that differs per writer and round.
                    for index in (0..<6).map({ ($0 + writer + round) % 6 }) {
                        aggregator.add(StoreFixtures.report(sni: "n\(index).example", chain: StoreFixtures.chain(index),
                                                            at: Int64(1_000 + round)))
                    }
                    try store.write(aggregator.drain(), sensor: writer == 0 ? "gw-a" : "gw-b")
                }
            } catch {
                failures.say(error.description)
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all)")
        let store = try PostgresObservationStore(url: url, readOnly: true)
        for index in 0..<6 {
            let history = try store.chains(named: "n\(index).example", since: nil)
            #expect(history.map(\.count) == [writers * rounds] && history.first?.sensors == ["gw-a", "gw-b"], "\(history)")
        }
    }

    @Test func urlsAreRecognisedAndShownWithoutTheirPassword() {
        #expect(StoreLocation("postgresql://u:p@h/db") == .server(url: "postgresql://u:p@h/db"))
        #expect(StoreLocation("postgres://h/db").isServer)
        #expect(StoreLocation("/var/lib/mitmwatch/state.db") == .file("/var/lib/mitmwatch/state.db"))
        #expect(StoreLocation("postgresql.db") == .file("postgresql.db"))
        #expect(PostgresURL.masked("postgresql://u:p%40ss@h:5432/db?sslmode=require") == "postgresql://u:***@h:5432/db?sslmode=require")
        #expect(PostgresURL.masked("postgres://h/db?user=u&password=secret&sslmode=verify-full")
                == "postgres://h/db?user=u&password=***&sslmode=verify-full")
        #expect(PostgresURL.masked("postgresql://u@h/db") == "postgresql://u@h/db")
        #expect(PostgresURL.problem("mysql://h/db") != nil)
        #expect(PostgresURL.problem("postgresql://u:p@h/db?sslmode=require") == nil)
        let bad = PostgresURL.problem("postgresql://u:p%zzsecret@h/db")
        #expect(bad != nil && bad?.contains("zzsecret") == false, "\(bad ?? "")")
        #expect(SQLDialect.postgreSQLParameters("a = ? AND b IN (?, ?)") == "a = $1 AND b IN ($2, $3)")
        #expect(SQLDialect.postgreSQLSchema("id INTEGER PRIMARY KEY, d BLOB, n INTEGER NOT NULL")
                == "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, d BYTEA, n BIGINT NOT NULL")
    }
}
