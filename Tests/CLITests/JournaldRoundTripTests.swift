@testable import Daemon
import Foundation
import Synchronization
import Testing

/// Alert entries through a real systemd-journald and back out of `journalctl`: the plain datagram,
/// the binary form of multi-line values, and the sealed-memfd path for an entry too large for a datagram.
@Suite struct JournaldRoundTripTests {
    @Test func alertEntriesRoundTripThroughJournald() throws {
        let journald = try Journald.start()
        defer { journald.stop() }

        let alert = try AlertFixture.make()
        let marker = UUID().uuidString.lowercased()
        let multiline = "first line\nsecond line\n\n\tfourth line, after an empty one\n"
        let large = String((0..<320 * 1024).map { index in Character(Unicode.Scalar(UInt8(97 + index % 26))) })
        let alertFields = JournalWriter.alertFields(alert.finding, report: alert.report, indicators: alert.indicators)

        // Small entry: one datagram (with the binary form for the multi-line value).
        let small = alertFields + [("MITMWATCH_TEST_MARKER", marker), ("MITMWATCH_TEST_CASE", "datagram"),
                                   ("MITMWATCH_TEST_MULTILINE", multiline)]
        let writer = JournalWriter()
        #expect(writer.isAvailable)
        #expect(writer.send(small), "send failed: errno \(writer.lastError)")
        #expect(writer.lastTransport == .datagram)

        // Large entry on a socket with the kernel's default send buffer (~208 KiB): EMSGSIZE → memfd.
        let big = alertFields + [("MITMWATCH_TEST_MARKER", marker), ("MITMWATCH_TEST_CASE", "memfd"),
                                 ("MITMWATCH_TEST_MULTILINE", multiline), ("MITMWATCH_TEST_LARGE", large)]
        let memfdWriter = JournalWriter(sendBufferSize: nil)
        #expect(memfdWriter.send(big), "send failed: errno \(memfdWriter.lastError)")
        #expect(memfdWriter.lastTransport == .memfd)

        let entries = try Journald.entries(matching: "MITMWATCH_TEST_MARKER=\(marker)", count: 2)
        #expect(entries.count == 2)
        for (sent, name) in [(small, "datagram"), (big, "memfd")] {
            let entry = try #require(entries.first { $0["MITMWATCH_TEST_CASE"] == name }, "no \(name) entry in the journal")
            for (field, value) in sent {
                #expect(entry[field] == value, "\(name): \(field) differs (\(entry[field]?.utf8.count ?? -1) bytes back)")
            }
            #expect(entry["PRIORITY"] == "2")
            #expect(entry["MESSAGE_ID"] == JournalMessageID.rule(.knownInterceptionCA))
            #expect(entry["_TRANSPORT"] == "journal")
        }
    }
}

/// A systemd-journald for the tests: the running one when its socket accepts senders, else one
/// started here once for the whole test process — several suites use it at the same time — and
/// stopped by its PID when the process exits.
struct Journald {
    private static let startLock = Mutex<Void>(())
    private static let startedPID = Atomic<Int32>(0)
    static let binaries = ["/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald"]
    /// The journald this test started, if any.
    let process: Process?

    static func start() throws -> Journald {
        try startLock.withLock { _ in try startOnce() }
    }

    private static func startOnce() throws -> Journald {
        if JournalWriter().isAvailable { return Journald(process: nil) }
        guard let binary = binaries.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw TestFailure("systemd-journald is not installed (\(binaries.joined(separator: " or "))): "
                + "run scripts/setup.sh, which installs the systemd package")
        }
        try FileManager.default.createDirectory(atPath: "/run/systemd/journal", withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw TestFailure("cannot start \(binary): \(error) (the journal test needs root)")
        }
        let journald = Journald(process: process)
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if JournalWriter().isAvailable {
                startedPID.store(process.processIdentifier, ordering: .relaxed)
                atexit {
                    let pid = Journald.startedPID.load(ordering: .relaxed)
                    if pid > 0 { kill(pid, SIGTERM) }
                }
                return Journald(process: nil)  // shared: stopped at exit, not by one test
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let status = process.isRunning ? "still running" : "exited with status \(process.terminationStatus)"
        journald.stop()
        throw TestFailure("\(binary) (pid \(process.processIdentifier), \(status)) did not serve "
            + "\(JournalWriter.defaultSocketPath) within 5 s (the journal test needs root)")
    }

    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    /// `journalctl -o json --all` entries matching `match`, retried (journald writes asynchronously)
    /// until `count` are there or 5 s have passed. Values are strings (binary ones decoded as UTF-8).
    static func entries(matching match: String, count: Int) throws -> [[String: String]] {
        let deadline = ContinuousClock.now + .seconds(5)
        var entries: [[String: String]] = []
        repeat {
            entries = try journalctl(["-o", "json", "--all", "--no-pager", match])
            if entries.count >= count { break }
            Thread.sleep(forTimeInterval: 0.1)
        } while ContinuousClock.now < deadline
        return entries
    }

    static func journalctl(_ arguments: [String]) throws -> [[String: String]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/journalctl")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try data.split(separator: UInt8(ascii: "\n")).filter { $0.first == UInt8(ascii: "{") }.map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw TestFailure("journalctl printed a non-object line")
            }
            return object.compactMapValues { value in
                if let text = value as? String { return text }
                if let bytes = value as? [NSNumber] { return String(decoding: bytes.map(\.uint8Value), as: UTF8.self) }
                return nil
            }
        }
    }
}
