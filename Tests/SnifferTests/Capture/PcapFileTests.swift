import Foundation
import Sniffer
import Testing
import TestSupport

/// `PcapFile`: the file mapped (or, from a pipe, read into memory) and handed to the reader.
@Suite struct PcapFileTests {
    static func temporary(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "mitmwatch-capture-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func sample() -> [UInt8] {
        var file = CaptureFileBuilder()
        file.sectionHeader()
        file.interface(linkType: 1)
        file.interface(linkType: 101)
        for index in 0..<100 {
            file.enhancedPacket(interface: UInt32(index % 2), timestamp: UInt64(index) * 1_000_000,
                                data: Array(repeating: UInt8(index), count: 40 + index))
        }
        return file.bytes
    }

    static func collect(_ file: PcapFile) -> (packets: [ReadPacket], outcome: CaptureOutcome) {
        var packets: [ReadPacket] = []
        let outcome = file.forEachPacket { frame, length, time, linkType in
            packets.append(ReadPacket(frame, length, time, linkType))
        }
        return (packets, outcome)
    }

    @Test func aMappedFileReadsAsTheSameBytesInMemory() throws {
        let bytes = Self.sample()
        let path = try Self.temporary(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try PcapFile(path: path)
        #expect(file.format == .pcapng)
        let (packets, outcome) = Self.collect(file)
        #expect(outcome == .complete)
        #expect(packets == (try readCapture(bytes)).packets)
        #expect(packets.count == 100)
        #expect(file.linkTypes == [.ethernet, .raw])
        // A second pass reads the same (the mapping stays until the file is released).
        #expect(Self.collect(file).packets == packets)
    }

    @Test func aPipeIsReadIntoMemoryUpToTheLimit() throws {
        let bytes = Self.sample()
        let source = try Self.temporary(bytes)
        let fifo = NSTemporaryDirectory() + "mitmwatch-fifo-\(UUID().uuidString)"
        defer {
            try? FileManager.default.removeItem(atPath: source)
            try? FileManager.default.removeItem(atPath: fifo)
        }
        for limit in [bytes.count, 1000] {
            try? FileManager.default.removeItem(atPath: fifo)
            let make = try Process.run(URL(fileURLWithPath: "/usr/bin/mkfifo"), arguments: [fifo])
            make.waitUntilExit()
            // A writer on the other end of the pipe; the open below blocks until it connects.
            let writer = try Process.run(URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", "cat \(source) > \(fifo)"])
            let file = try PcapFile(path: fifo, bufferLimit: limit)
            writer.waitUntilExit()
            let (packets, outcome) = Self.collect(file)
            if limit == bytes.count {
                #expect(outcome == .complete)
                #expect(packets.count == 100)
            } else {
                guard case .truncated(let reason) = outcome else { Issue.record("not truncated"); continue }
                #expect(reason.contains("only the first 1000 bytes of input that cannot be mapped"), "\(reason)")
                #expect(packets.count > 0 && packets.count < 100)
            }
        }
    }

    static func openError(_ path: String) -> String? {
        do {
            _ = try PcapFile(path: path)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func filesThatCannotBeReadNameTheFileAndWhy() throws {
        #expect(Self.openError("/nonexistent/capture.pcap")
            == "cannot read capture /nonexistent/capture.pcap: No such file or directory")
        #expect(Self.openError(NSTemporaryDirectory())?.hasSuffix(": it is a directory") == true)
        let empty = try Self.temporary([])
        let text = try Self.temporary(Array("this is not a capture file at all, just text\n".utf8))
        defer {
            try? FileManager.default.removeItem(atPath: empty)
            try? FileManager.default.removeItem(atPath: text)
        }
        #expect(Self.openError(empty)
            == "cannot read capture \(empty): the file is empty: not a pcap or pcapng capture")
        #expect(Self.openError(text) == "cannot read capture \(text): not a pcap or pcapng capture (it starts with "
            + "74 68 69 73, which neither format does)")
    }
}
