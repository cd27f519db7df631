import Certificates
import Detector
import Foundation
import Sniffer
import Synchronization
import Testing
@testable import Store

/// The writer thread: flushes, a store that fails (said once, counted, retried), a queue that
/// overflows (dropped, counted), memory bounded under a million distinct names.
@Suite(.serialized) struct WriterTests {
    /// Lines the writer said.
    final class Said: Sendable {
        let lines = Mutex<[String]>([])
        func say(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    static func sink(_ path: String, said: Said, flushSeconds: Double = 3600, queue: Int = 8,
                     capacity: Int = ObservationAggregator.defaultCapacity) -> ObservationSink {
        var configuration = StoreWriterConfiguration()
        configuration.flushSeconds = flushSeconds
        configuration.queueCapacity = queue
        configuration.retrySeconds = 0.05
        configuration.maxRetrySeconds = 0.2
        configuration.sensor = "test"
        let sink = ObservationSink(configuration: configuration, aggregatorCapacity: capacity,
                                   open: { () throws(StoreError) in try SQLiteObservationStore(path: path, readOnly: false) },
                                   say: { said.say($0) })
        sink.start()
        return sink
    }

    /// A store whose write lock another connection holds (`BEGIN IMMEDIATE`), and a started sink
    /// writing to it with `configure`'s settings.
    final class LockedStore {
        let directory = StoreFixtures.directory()
        let path: String
        let locker: SQLiteDatabase
        let said = Said()
        let sink: ObservationSink

        init(aggregatorCapacity: Int = ObservationAggregator.defaultCapacity,
             configure: (inout StoreWriterConfiguration) -> Void) throws {
            let path = directory.appendingPathComponent("state.db").path
            self.path = path
            _ = try SQLiteObservationStore(path: path, readOnly: false)
            locker = try SQLiteDatabase(path: path, mode: .readWrite)
            try locker.execute("BEGIN IMMEDIATE")
            var configuration = StoreWriterConfiguration()
            configure(&configuration)
            let said = said
            sink = ObservationSink(configuration: configuration, aggregatorCapacity: aggregatorCapacity,
                                   open: { () throws(StoreError) in
                                       try SQLiteObservationStore(path: path, readOnly: false, busyTimeoutMilliseconds: 10)
                                   }, say: { said.say($0) })
            sink.start()
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    @Test func reportsReachTheStoreOnFlushAndOnTheTimer() throws {
        let directory = StoreFixtures.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state.db").path
        let said = Said()
        let sink = Self.sink(path, said: said, flushSeconds: 0.2)
        sink.record(StoreFixtures.report(sni: "a.example", chain: StoreFixtures.chain(1), at: 100))
        let deadline = Date().addingTimeInterval(10)
        while sink.counters.batchesWritten == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(sink.counters.observationsWritten == 1)  // by the timer, nobody asked
        sink.record(StoreFixtures.report(sni: "a.example", chain: StoreFixtures.chain(1), at: 200))
        sink.finish()
        #expect(sink.counters.observationsWritten == 2)
        #expect(said.all.isEmpty)
        let store = try SQLiteObservationStore(path: path, readOnly: true)
        #expect(try store.chains(named: "a.example", since: nil).first?.count == 2)
    }

    @Test func aLockedStoreIsSaidOnceCountedAndRetriedUntilItIsFree() throws {
        let locked = try LockedStore { configuration in
            configuration.flushSeconds = 3600
            configuration.retrySeconds = 0.05
            configuration.maxRetrySeconds = 0.1
        }
        defer { locked.remove() }
        let (sink, said, locker) = (locked.sink, locked.said, locked.locker)
        sink.record(StoreFixtures.report(sni: "a.example", chain: StoreFixtures.chain(1), at: 100))
        sink.flush()
        sink.flush()
        Thread.sleep(forTimeInterval: 0.5)
        #expect(sink.counters.batchesFailed >= 3)
        #expect(sink.counters.batchesWritten == 0)
        #expect(said.all.count == 1)
        #expect(said.all.first?.contains("database is locked") == true)
        try locker.execute("COMMIT")
        let deadline = Date().addingTimeInterval(10)
        while sink.counters.batchesWritten == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        sink.finish()
        #expect(sink.counters.observationsWritten == 1)
        #expect(sink.counters.dropped == 0)
        #expect(said.all.count == 2)
        #expect(said.all.last?.contains("writing again") == true)
    }

    @Test func aLongOutageWithSteadyTrafficLosesNothing() throws {
        let locked = try LockedStore { configuration in
            configuration.flushSeconds = 0.05
            configuration.queueCapacity = 2
            configuration.retrySeconds = 0.05
            configuration.maxRetrySeconds = 0.1
        }
        defer { locked.remove() }
        let (sink, locker, path) = (locked.sink, locked.locker, locked.path)
        // 40 flush intervals of the same few names while the store is locked: twenty times the queue.
        for round in 0..<40 {
            for name in 0..<3 {
                sink.record(StoreFixtures.report(sni: "n\(name).example", chain: StoreFixtures.chain(name), at: 100 + Int64(round)))
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(sink.counters.batchesFailed >= 2)
        #expect(sink.counters.droppedQueueFull == 0)
        try locker.execute("COMMIT")
        sink.finish()
        let counters = sink.counters
        #expect(counters.observationsWritten == 120 && counters.dropped == 0)
        let store = try SQLiteObservationStore(path: path, readOnly: true)
        #expect(try store.chains(named: "n1.example", since: nil).first?.count == 40)
    }

    @Test func aFullQueueDropsAndCounts() throws {
        let locked = try LockedStore(aggregatorCapacity: 10) { configuration in
            configuration.flushSeconds = 3600
            configuration.queueCapacity = 2
            configuration.retrySeconds = 30
        }
        defer { locked.remove() }
        let (sink, said, locker) = (locked.sink, locked.said, locked.locker)
        for index in 0..<100 {  // 10 batches of 10 chains (+10 profiles: full at 10 aggregates: every 5 reports)
            sink.record(StoreFixtures.report(sni: "n\(index).example", chain: StoreFixtures.chain(index), at: 100))
        }
        let counters = sink.counters
        #expect(counters.droppedQueueFull > 0)
        #expect(counters.queuedBatches <= 2)
        sink.finish()  // still locked: the last attempt fails, what waited is dropped and counted
        let final = sink.counters
        #expect(final.observationsWritten + final.droppedQueueFull + final.droppedStoreFailed == 100)
        #expect(final.droppedStoreFailed > 0)
        #expect(said.all.count == 1)  // the failure, once; what was lost is counted for the caller to say
        try locker.execute("ROLLBACK")
    }

    @Test func aMillionDistinctNamesStayWithinBoundedMemory() throws {
        let directory = StoreFixtures.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state.db").path
        let said = Said()
        let queue = 2
        let sink = Self.sink(path, said: said, queue: queue)
        let chain = StoreFixtures.chain(7)
        var template = StoreFixtures.report(sni: "x", chain: chain, at: 1)
        var peak = 0
        let started = Date()
        for index in 0..<1_000_000 {
            template.session.clientHellos[0].serverName = "n\(index).example"
            sink.record(template)
            if index % 1024 == 0 { peak = max(peak, sink.pending + sink.counters.queuedBatches * ObservationAggregator.defaultCapacity) }
        }
        let recorded = Date().timeIntervalSince(started)
        sink.finish()
        let counters = sink.counters
        let elapsed = Date().timeIntervalSince(started)
        print("a million names: recorded in \(String(format: "%.1f", recorded)) s, \(counters.observationsWritten) written, "
              + "\(counters.dropped) dropped (the writer behind), \(counters.batchesWritten) batches, \(String(format: "%.1f", elapsed)) s")
        // Pending aggregates never beyond the aggregator's capacity plus the queued batches.
        #expect(peak <= ObservationAggregator.defaultCapacity * (queue + 1))
        #expect(counters.observationsWritten + counters.dropped == 1_000_000)
        #expect(counters.observationsWritten > 0)
        #expect(try StoreFixtures.integer(path, "SELECT COUNT(*) FROM names") * 1 == Int64(counters.observationsWritten))
    }
}
