import Foundation
import Testing
@testable import Store

#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` while the writer writes: the store must open and pass `integrity_check`, with every
/// batch either all there or not at all. The child is this test binary (an exit test) writing
/// batches in a loop until SIGKILL arrives from a timer after a random delay.
@Suite struct CrashTests {
    /// Observations per batch: every batch adds exactly this much to the one chain's count.
    static let perBatch = 37

    @Test func aStoreKilledMidWriteOpensWithWholeBatchesOnly() async throws {
        let directory = StoreFixtures.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state.db").path
        var lastCount: Int64 = 0
        for iteration in 0..<6 {
            let delay = Int.random(in: 30...400)
            // The child inherits the environment: where to write and when to die. (unsafe: C strings
            // bridged for the calls; no other thread reads the environment meanwhile.)
            _ = unsafe setenv("MITMWATCH_CRASH_STORE", path, 1)
            _ = unsafe setenv("MITMWATCH_CRASH_AFTER_MS", String(delay), 1)
            await #expect(processExitsWith: .signal(SIGKILL)) {
                let path = ProcessInfo.processInfo.environment["MITMWATCH_CRASH_STORE"]!
                let delay = Int(ProcessInfo.processInfo.environment["MITMWATCH_CRASH_AFTER_MS"]!)!
                let killer = Thread {
                    Thread.sleep(forTimeInterval: Double(delay) / 1000)
                    kill(getpid(), SIGKILL)
                }
                killer.start()
                let store = try! SQLiteObservationStore(path: path, readOnly: false)
                var round = 0
                while true {
                    round += 1
                    var batch = StoreBatch()
                    let chain = StoreFixtures.chain(1)
                    batch.chains.append(ChainObservation(
                        name: ObservedName(name: "crash.example", kind: .sni), certificates: chain,
                issuer: "CN=CA", issuingCA: "aki:01", firstSeen: 1,
                        lastSeen: Int64(round), passiveCount: CrashTests.perBatch, probeCount: 0, rules: []))
                    // Bulk, so that the kill often lands inside a transaction or a checkpoint.
                    for index in 0..<200 {
                        let other = StoreFixtures.chain(round * 1000 + index)
                        batch.chains.append(ChainObservation(
                            name: ObservedName(name: "n\(getpid())-\(round)-\(index).example", kind: .sni), certificates: other,
                issuer: nil, issuingCA: nil, firstSeen: 1,
                            lastSeen: 1, passiveCount: 1, probeCount: 0, rules: []))
                    }
                    try! store.write(batch, sensor: "crash")
                }
            }
            let store = try SQLiteObservationStore(path: path, readOnly: false)
            #expect(try StoreFixtures.text(path, "PRAGMA integrity_check") == "ok", "iteration \(iteration), \(delay) ms")
            let count = try store.chains(named: "crash.example", since: nil).first?.count ?? 0
            #expect(Int64(count) % Int64(Self.perBatch) == 0, "a partial batch after \(delay) ms")
            #expect(Int64(count) >= lastCount)
            lastCount = Int64(count)
            let others = try StoreFixtures.integer(path, "SELECT COUNT(*) FROM name_chains") - (count > 0 ? 1 : 0)
            #expect(others == Int64(count / Self.perBatch) * 200)
        }
        #expect(lastCount > 0)
    }
}
