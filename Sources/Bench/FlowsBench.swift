import ArgumentParser
import Detector
import Foundation
import Sniffer

/// Memory against concurrent flows: N connections opened and left open, then RSS per flow.
struct FlowsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flows",
        abstract: "Memory vs concurrent flows: RSS and bytes per flow, and whether the memcap holds.",
        discussion: """
        For each count in --counts, a child process opens that many TCP connections (distinct \
        IPv4 tuples) in one Pipeline and leaves them open: --shape syn sends one SYN per flow \
        (half-open: a flow-table entry each); --shape pending sends SYN, SYN-ACK and the first \
        --pending-bytes of a 1,400-byte ClientHello record, so every flow also holds handshake \
        state and a partial record (buffered bytes, against --memcap-mb). Reports VmRSS growth \
        per flow, the flow table's own accounting, the peak of buffered bytes against the memcap \
        and what happens when it is reached: drops, and the oldest followed flows evicted to make \
        room for new ones (memcap_eviction). Baseline: a second run of the same child with \
        no flows (the process's own RSS).
        """
    )

    @Option(help: "Comma-separated flow counts, one child process each.")
    var counts = "10000,100000,1000000"

    @Option(help: "syn (half-open flows) or pending (flows mid-ClientHello, holding bytes).")
    var shape: FlowShape = .syn

    @Option(help: "Bytes of the ClientHello record each pending flow has sent.")
    var pendingBytes = 600

    @Option(help: "Reassembly memcap in MiB.")
    var memcapMb = 512

    @Option(help: "Run one count in this process (used by the parent).")
    var child: Int?

    enum FlowShape: String, ExpressibleByArgument { case syn, pending }

    mutating func run() throws {
        if let child {
            print(try measure(flows: child).json)
            return
        }
        let list = try counts.split(separator: ",").map { text -> Int in
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 0, value <= 4_000_000 else {
                throw ValidationError("--counts: \"\(text)\" is not a count from 0 to 4000000")
            }
            return value
        }
        let baseline = try runChild(0)
        print("flows bench: shape \(shape.rawValue)\(shape == .pending ? ", \(pendingBytes) bytes pending per flow" : ""), memcap \(memcapMb) MiB")
        print("baseline (0 flows): RSS \(baseline.rssKiB / 1024) MiB")
        typealias Sizes = Pipeline<SessionsOnlyObserver>
        let fixed = Sizes.fixedBytesPerFollowedHandshake, entry = Sizes.flowEntryBytes, tracker = Sizes.trackerBytes
        print("fixed state per followed handshake: \(fixed) bytes (flow entry \(entry), tracker \(tracker), "
            + "links, free-list slots and index buckets at a quarter load)")
        print("| flows | RSS growth (MiB) | bytes/flow (RSS) | table bytes/flow | tracked | buffered peak (MiB) | memcap (MiB) | memcap held | drops: buffers / flow state | evicted for memcap | pass (ms) |")
        print("|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
        for count in list {
            let result = try runChild(count)
            let growth = max(0, result.rssKiB - baseline.rssKiB) * 1024
            let perFlow = count > 0 ? Double(growth) / Double(count) : 0
            let table = count > 0 ? Double(result.tableBytes) / Double(count) : 0
            let held = result.bufferedPeak <= Int64(memcapMb) << 20
            print("| \(count) | \(String(format: "%.1f", Double(growth) / 1_048_576)) | \(String(format: "%.0f", perFlow)) "
                + "| \(String(format: "%.0f", table)) | \(result.tracked) | \(String(format: "%.1f", Double(result.bufferedPeak) / 1_048_576)) "
                + "| \(memcapMb) | \(held ? "yes" : "NO") | \(result.memcapDrops) / \(result.stateDrops) | \(result.evictions) "
                + "| \(String(format: "%.0f", result.passMs)) |")
            if !held { throw BenchError("buffered bytes \(result.bufferedPeak) passed the memcap") }
            if result.active + Int(result.evictions) != count {
                throw BenchError("\(result.active) flows active and \(result.evictions) evicted, \(count) opened")
            }
        }
    }

    private func runChild(_ count: Int) throws -> ChildResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["flows", "--child", String(count), "--shape", shape.rawValue,
                             "--pending-bytes", String(pendingBytes), "--memcap-mb", String(memcapMb)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("flows child \(count) exited \(process.terminationStatus)") }
        return try JSONDecoder().decode(ChildResult.self, from: data)
    }

    private func measure(flows count: Int) throws -> ChildResult {
        var limits = SnifferLimits()
        limits.flows.maxFlows = max(count, 1)
        limits.reassembly.memcap = memcapMb << 20
        var pipeline = Pipeline(limits: limits, observer: SessionsOnlyObserver { _ in })
        var frame = SyntheticFrame()
        let record = SyntheticFrame.clientHelloRecord(length: 1400)
        let sent = min(pendingBytes, record.count)
        let start = monotonicNanoseconds()
        for flow in 0..<count {
            let client = UInt32(0x0A00_0000) | UInt32(flow >> 14)
            let port = UInt16(1024 + flow & 0x3FFF)
            let time = Timestamp(nanoseconds: Int64(flow) * 1000)
            frame.tcp(from: client, port, to: 0xC0A8_0001, 443, seq: 1000, ack: 0, flags: 0x02, payload: [])
            pipeline.process(frame: frame.bytes.span, originalLength: frame.bytes.count, linkType: .ethernet, at: time)
            if shape == .pending {
                frame.tcp(from: 0xC0A8_0001, 443, to: client, port, seq: 5000, ack: 1001, flags: 0x12, payload: [])
                pipeline.process(frame: frame.bytes.span, originalLength: frame.bytes.count, linkType: .ethernet, at: time)
                frame.tcp(from: client, port, to: 0xC0A8_0001, 443, seq: 1001, ack: 5001, flags: 0x18,
                          payload: record[0..<sent])
                pipeline.process(frame: frame.bytes.span, originalLength: frame.bytes.count, linkType: .ethernet, at: time)
            }
        }
        let passNs = monotonicNanoseconds() &- start
        let counters = pipeline.counters
        return ChildResult(rssKiB: residentKiB(), active: pipeline.activeFlows, tracked: pipeline.trackedFlows,
                           tableBytes: pipeline.flowTableBytes, bufferedPeak: Int64(pipeline.reassemblyPeakBytes),
                           memcapDrops: counters[.dropReassemblyMemcap], stateDrops: counters[.dropFlowStateMemcap],
                           evictions: counters[.dropMemcapEviction], passMs: Double(passNs) / 1e6)
    }
}

struct ChildResult: Codable {
    var rssKiB: Int
    var active: Int
    var tracked: Int
    var tableBytes: Int
    var bufferedPeak: Int64
    var memcapDrops: UInt64
    var stateDrops: UInt64
    var evictions: UInt64
    var passMs: Double

    var json: String { String(decoding: try! JSONEncoder().encode(self), as: UTF8.self) }
}

/// `VmRSS` (current resident set) of this process, in KiB.
func residentKiB() -> Int { procStatusKiB("VmRSS") }

/// One Ethernet/IPv4/TCP frame, rebuilt in place for each packet.
struct SyntheticFrame {
    var bytes: [UInt8] = []

    mutating func tcp(from source: UInt32, _ sourcePort: UInt16, to destination: UInt32, _ destinationPort: UInt16,
                      seq: UInt32, ack: UInt32, flags: UInt8, payload: ArraySlice<UInt8>) {
        bytes.removeAll(keepingCapacity: true)
        bytes += [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00]
        let total = 20 + 20 + payload.count
        var ip: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0x40, 0, 64, 6, 0, 0]
        for address in [source, destination] { ip += [UInt8(address >> 24), UInt8(address >> 16 & 0xff), UInt8(address >> 8 & 0xff), UInt8(address & 0xff)] }
        var sum: UInt32 = 0
        for index in stride(from: 0, to: 20, by: 2) { sum += UInt32(ip[index]) << 8 | UInt32(ip[index + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        let checksum = ~UInt16(sum)
        ip[10] = UInt8(checksum >> 8)
        ip[11] = UInt8(checksum & 0xff)
        bytes += ip
        bytes += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xff)]
        bytes += [UInt8(seq >> 24), UInt8(seq >> 16 & 0xff), UInt8(seq >> 8 & 0xff), UInt8(seq & 0xff)]
        bytes += [UInt8(ack >> 24), UInt8(ack >> 16 & 0xff), UInt8(ack >> 8 & 0xff), UInt8(ack & 0xff)]
        bytes += [0x50, flags, 0xff, 0xff, 0, 0, 0, 0]
        bytes += payload
    }

    /// A TLS 1.2 ClientHello record of `length` bytes (header included), padded with an extension.
    static func clientHelloRecord(length: Int) -> [UInt8] {
        let body = length - 5 - 4
        var hello: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 0x42, count: 32) + [0]  // version, random, no session id
        hello += [0, 2, 0xc0, 0x2f, 1, 0]  // one cipher suite, null compression
        let padding = body - hello.count - 2 - 4
        hello += [UInt8((padding + 4) >> 8), UInt8((padding + 4) & 0xff), 0x00, 0x15, UInt8(padding >> 8), UInt8(padding & 0xff)]
        hello += [UInt8](repeating: 0, count: padding)
        let handshake: [UInt8] = [1, UInt8(hello.count >> 16), UInt8(hello.count >> 8 & 0xff), UInt8(hello.count & 0xff)] + hello
        return [0x16, 0x03, 0x01, UInt8(handshake.count >> 8), UInt8(handshake.count & 0xff)] + handshake
    }
}
