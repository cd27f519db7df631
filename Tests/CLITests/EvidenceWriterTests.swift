@testable import Daemon
import Detector
import Foundation
import Sniffer
import Testing

/// The evidence writer's queue: a daemon's bundle that finds it full is counted and given back
/// (its alerts go out without a path); `read`'s waits for room, and every bundle is written.
@Suite struct EvidenceWriterTests {
    static func report(_ id: UInt64) -> SessionReport {
        let session = TLSSession(id: id, start: Timestamp(seconds: 1_780_000_000), end: Timestamp(seconds: 1_780_000_000),
                                 client: Endpoint(address: IPAddress(ipv4: 0x0A00_0001), port: 40_000),
                                 server: Endpoint(address: IPAddress(ipv4: 0x0A00_0002), port: 443))
        return SessionReport(session: session, findings: [])
    }

    static func directory() -> String { NSTemporaryDirectory() + "evidence-writer-\(UUID().uuidString)" }

    @Test func aFullQueueGivesTheFolderBackAndCountsIt() throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = EvidenceWriter(directory: EvidenceDirectory(path: path, maxBytes: 1 << 20), queueBundles: 0, say: { _ in })
        let folder = try #require(writer.reserve(Self.report(1).session))
        #expect(!writer.submit(Self.report(1), alertLines: Array("{}\n".utf8), to: folder, wait: false))
        writer.drain()
        let counts = writer.directory.counts
        #expect(counts.queueFull == 1 && counts.failed == 1 && counts.written == 0)
        #expect(!FileManager.default.fileExists(atPath: folder))
        // The name is free again.
        #expect(writer.reserve(Self.report(1).session) == folder)
    }

    @Test func waitingForRoomWritesEveryBundle() throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = EvidenceWriter(directory: EvidenceDirectory(path: path, maxBytes: 64 << 20), queueBundles: 2, say: { _ in })
        let lines = Array(repeating: UInt8(ascii: "x"), count: 10_000) + [UInt8(ascii: "\n")]
        // Two producers at once, 150 bundles each, through a queue of two.
        DispatchQueue.concurrentPerform(iterations: 2) { producer in
            for index in 0 ..< 150 {
                let report = Self.report(UInt64(producer * 1000 + index))
                guard let folder = writer.reserve(report.session) else { continue }
                #expect(writer.submit(report, alertLines: lines, to: folder, wait: true))
            }
        }
        writer.drain()
        let counts = writer.directory.counts
        #expect(counts.written == 300 && counts.failed == 0)
        let folders = try FileManager.default.contentsOfDirectory(atPath: path)
        #expect(folders.count == 300)
        #expect(folders.allSatisfy { (try? Data(contentsOf: URL(fileURLWithPath: path + "/" + $0 + "/alert.json")).count) == 10_001 })
    }
}
