import Detector
import Foundation
import Sniffer
import Testing
import TestSupport

/// Captures written by Wireshark's tools (editcap, mergecap) and checked against tshark and
/// against the truth files of the real captures they were made from.
@Suite struct ToolMadeCaptureTests {
    static let real = RealStackCaptureTests.directory

    struct Read {
        var packets: [ReadPacket] = []
        var sessions: [TLSSession] = []
        var outcome: CaptureOutcome
        var report: CaptureReadReport
    }

    static func read(_ path: String, expectNoDrops: Bool = true) throws -> Read {
        let file = try PcapFile(path: path)
        var packets: [ReadPacket] = []
        var sessions: [TLSSession] = []
        var pipeline = Pipeline(observer: SessionsOnlyObserver { sessions.append($0) })
        let outcome = file.forEachPacket { frame, length, time, linkType in
            packets.append(ReadPacket(frame, length, time, linkType))
            pipeline.process(frame: frame, originalLength: length, linkType: linkType, at: time)
        }
        pipeline.finish()
        #expect(!expectNoDrops || pipeline.counters.drops.isEmpty,
                "\(path): \(pipeline.counters.drops.map { "\($0.0.name)=\($0.1)" })")
        return Read(packets: packets, sessions: sessions, outcome: outcome, report: file.report)
    }

    /// tshark's view of every packet: (epoch nanoseconds, wire length, captured length, interface).
    static func tsharkPackets(_ tools: WiresharkTools, _ path: String) throws -> [(Int64, Int, Int, Int)] {
        let fields = try tools.run("tshark", ["-r", path, "-T", "fields", "-E", "separator=,", "-e", "frame.time_epoch",
                                              "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.interface_id"])
        return fields.split(separator: "\n").map { line in
            let parts = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let time = parts[0].split(separator: ".")
            let fraction = String(time.count > 1 ? time[1] : "").padding(toLength: 9, withPad: "0", startingAt: 0)
            return (Int64(time[0])! * 1_000_000_000 + Int64(fraction)!, Int(parts[1])!, Int(parts[2])!,
                    Int(parts[3]) ?? 0)
        }
    }

    /// What `dumpcap -i eth0 -i wg0` writes, which libpcap refuses after the first interface:
    /// every session of both interfaces comes out, each with the chain its server sent.
    @Test func aCaptureOfAnEthernetAndARawIPInterfaceGivesEverySession() throws {
        let tools = try WiresharkTools()
        let path = try tools.mixedLinkTypes(realCaptures: Self.real)
        let read = try Self.read(path)
        #expect(read.outcome == .complete)
        #expect(read.report.linkTypes == [.ethernet, .raw])
        #expect(read.report.interfaces == 2)
        #expect(Set(read.packets.map(\.linkType)) == [.ethernet, .raw])

        let names = WiresharkTools.ethernetCaptures + WiresharkTools.rawIPCaptures
        let truths = try names.flatMap { try RealStackCaptureTests.truth($0) }
        #expect(read.sessions.count == truths.count)
        for truth in truths {
            let session = read.sessions.first {
                $0.client.description == truth.client && $0.server.description == truth.server
            }
            #expect(session != nil, "no session \(truth.client) → \(truth.server)")
            #expect(session?.serverName == truth.sni)
            #expect(session?.serverChain?.fingerprints.map(\.description) == truth.serverChain)
        }

        // The same packets, times and lengths as tshark reads, interface 0 Ethernet, 1 raw IP.
        let tshark = try Self.tsharkPackets(tools, path)
        #expect(tshark.count == read.packets.count)
        for (index, (ours, theirs)) in zip(read.packets, tshark).enumerated() {
            #expect(ours.time.nanoseconds == theirs.0 && ours.originalLength == theirs.1 && ours.bytes.count == theirs.2
                    && ours.linkType == (theirs.3 == 0 ? .ethernet : .raw),
                    "packet \(index): \(ours) vs tshark \(theirs)")
        }

        // libpcap, which read capture files before, stops at the second interface.
        let (libpcap, _) = LibpcapReference.read(path: path)
        #expect(libpcap?.error?.contains("different from the type of the first interface") == true)
        #expect((libpcap?.packets.count ?? 0) < read.packets.count)
    }

    /// One capture in four encodings (pcap µs, pcap ns, pcapng µs, pcapng ns): the same packets.
    @Test(arguments: ["tls12-big-chain-segmented", "tls13-rsa"])
    func theSameCaptureInEveryEncodingReadsTheSame(_ name: String) throws {
        let tools = try WiresharkTools()
        let original = Self.real + "/" + name + ".pcap"
        try tools.run("editcap", ["-F", "nsecpcap", original, tools.path("ns.pcap")])
        try tools.run("editcap", ["-F", "pcapng", original, tools.path("us.pcapng")])
        try tools.run("editcap", ["-F", "pcapng", tools.path("ns.pcap"), tools.path("ns.pcapng")])
        let reference = try Self.read(original)
        #expect(reference.packets.count > 10)
        for variant in ["ns.pcap", "us.pcapng", "ns.pcapng"] {
            let read = try Self.read(tools.path(variant))
            #expect(read.outcome == .complete)
            #expect(read.packets == reference.packets, "\(variant)")
            #expect(read.sessions.count == reference.sessions.count)
            let tshark = try Self.tsharkPackets(tools, tools.path(variant))
            #expect(tshark.map(\.0) == read.packets.map(\.time.nanoseconds), "\(variant): times differ from tshark's")
        }
        // The nanosecond pcapng really says so (if_tsresol 9), or the check above proves nothing.
        let info = try tools.run("capinfos", [tools.path("ns.pcapng")])
        #expect(info.contains("nanoseconds (9)"))
    }

    /// A file cut by `editcap` at a packet boundary reads whole; cut inside a block it reads up
    /// to that block and says where.
    @Test func aCutToolMadeCapture() throws {
        let tools = try WiresharkTools()
        let path = try tools.mixedLinkTypes(realCaptures: Self.real)
        let whole = try Self.read(path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: tools.path("half.pcapng")))
        let half = try Self.read(tools.path("half.pcapng"), expectNoDrops: false)
        guard case .truncated(let reason) = half.outcome else { Issue.record("not truncated"); return }
        #expect(reason.contains("cut short"))
        #expect(half.packets.count > 10)
        #expect(Array(whole.packets.prefix(half.packets.count)) == half.packets)
    }
}
