import Foundation
import Sniffer
import Testing
import TestSupport

/// Our reader against libpcap's (which read capture files before it) over every capture at hand:
/// the fixtures and the peer corpus (pcap and pcapng from four other projects' test suites).
/// Where libpcap reads a file, ours must hand over the same packets — bytes, wire length,
/// timestamp, link type — in the same order; where libpcap stops early, its packets must be the
/// start of ours.
@Suite struct LibpcapDifferentialTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path
    /// `../shared/corpus/peers` beside the project root, or `$MITMWATCH_SHARED/corpus/peers`.
    static let corpus = (ProcessInfo.processInfo.environment["MITMWATCH_SHARED"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared").path) + "/corpus/peers"

    static func captures(under root: String) -> [String] {
        let names = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") || $0.hasSuffix(".cap") }
            .sorted().map { root + "/" + $0 }
    }

    @Test func everyCaptureLibpcapReadsReadsTheSame() throws {
        let fixtureFiles = Self.captures(under: Self.fixtures)
        let corpusFiles = Self.captures(under: Self.corpus)
        #expect(fixtureFiles.count >= 40)
        var compared = 0, packets = 0
        var libpcapStopped: [String] = []
        for path in fixtureFiles + corpusFiles {
            let (reference, openError) = LibpcapReference.read(path: path)
            guard let reference else {
                Issue.record("libpcap cannot open \(path): \(openError ?? "")")
                continue
            }
            let file = try PcapFile(path: path)
            var ours: [LibpcapReference.Packet] = []
            let outcome = file.forEachPacket { frame, length, time, linkType in
                ours.append(.init(bytes: [UInt8](copying: frame), originalLength: length, time: time,
                                  linkType: linkType))
            }
            compared += 1
            packets += reference.packets.count
            if let error = reference.error {
                libpcapStopped.append("\(path): libpcap: \(error); ours: \(outcome)")
                #expect(ours.count >= reference.packets.count, "\(path)")
            } else {
                #expect(outcome == .complete, "\(path)")
                #expect(ours.count == reference.packets.count, "\(path)")
            }
            let pairs = zip(ours, reference.packets).enumerated()
            if let index = pairs.first(where: { $0.element.0 != $0.element.1 })?.offset {
                Issue.record("\(path) packet \(index): ours \(ours[index]), libpcap \(reference.packets[index])")
            }
        }
        print("libpcap differential: \(compared) captures, \(packets) packets compared; libpcap stopped early in "
            + "\(libpcapStopped.count):\n" + libpcapStopped.joined(separator: "\n"))
        #expect(compared == fixtureFiles.count + corpusFiles.count)
        #expect(packets > 1000)
    }
}
