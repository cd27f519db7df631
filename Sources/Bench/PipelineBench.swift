import ArgumentParser
import BenchAllocationCounter
import Detector
import Foundation
import Sniffer

/// Whole-pipeline throughput: capture frames → decode → flows → reassembly → TLS → detection,
/// against tshark extracting the same Certificate messages.
struct PipelineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Whole sniffer pipeline (Pipeline + DetectionObserver) over a capture, vs tshark.",
        discussion: """
        Reads every frame of --capture into memory once (not timed), then times --iterations passes \
        of a fresh Pipeline with DetectionObserver(indicators: IndicatorSet.builtIn()) over all \
        frames (process, then finish). Reports packets/s, Gbit/s (wire lengths), TLS handshakes/s \
        (sessions reported with an observed server chain), ns per packet, peak RSS (VmHWM) and heap \
        allocations per packet (one counted pass). Baseline: one run of \
        `tshark -r FILE -Y tls.handshake.type==11 -T fields -e tls.handshake.certificate`; the \
        number of sessions with chains must equal the number of Certificate messages it prints.
        """
    )

    @Option(help: "Capture file (pcap or pcapng).")
    var capture: String

    @Option(help: "Timed passes over the whole capture.")
    var iterations = 5

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(help: "indicators (built-in indicators only) or daemon-default (also untrusted-chain and missing-sct against the trust store, as `mitmwatch run` does by default).")
    var rules: RuleChoice = .indicators

    enum RuleChoice: String, ExpressibleByArgument { case indicators, daemonDefault = "daemon-default" }

    @Option(help: "Trust store for --rules daemon-default (default: the system's).")
    var trustStore: String?

    @Flag(help: "Do not prefetch the next frames' headers while processing one.")
    var noPrefetch = false

    @Option(help: "tshark executable for the baseline (\"none\" to skip it).")
    var tshark = "/usr/bin/tshark"

    mutating func run() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
        try requireAllocationCounter()

        var frames = try CapturedFrames.load(path: capture)
        frames.prefetch = !noPrefetch
        guard frames.count > 0 else { throw BenchError("no packets in \(capture)") }
        let rssAfterLoad = peakResidentKiB()
        let indicators = IndicatorSet.builtIn()
        frames.detection = try rules == .daemonDefault ? DaemonDefaultRules(trustStore: trustStore) : nil

        // Warm-up pass: its numbers are the ones every pass must reproduce.
        let reference = frames.runPass(indicators: indicators)

        mw_alloc_counter_start()
        let counted = frames.runPass(indicators: indicators)
        let allocations = mw_alloc_counter_stop()
        var mismatches = counted == reference ? 0 : 1

        var passNanoseconds: [Double] = []
        for _ in 0..<iterations {
            let start = monotonicNanoseconds()
            let outcome = frames.runPass(indicators: indicators)
            passNanoseconds.append(Double(monotonicNanoseconds() &- start))
            if outcome != reference { mismatches += 1 }
        }
        passNanoseconds.sort()
        if mismatches > 0 { throw BenchError("\(mismatches) passes reported different sessions than the warm-up") }

        // Bypassed packets: the tail of packets that only hit bypassed flows, timed as the
        // difference between whole passes and passes that stop before it.
        let tailStart = frames.bypassedTailStart()
        var bypass: BypassTail?
        if frames.count - tailStart >= 1000 {
            var prefixNanoseconds: [Double] = []
            for _ in 0..<iterations {
                let start = monotonicNanoseconds()
                _ = frames.runPass(indicators: indicators, upTo: tailStart)
                prefixNanoseconds.append(Double(monotonicNanoseconds() &- start))
            }
            prefixNanoseconds.sort()
            bypass = BypassTail(packets: frames.count - tailStart,
                                nanoseconds: percentile(passNanoseconds, 0.5) - percentile(prefixNanoseconds, 0.5))
        }

        let bypassedAllocations = frames.bypassedPacketAllocations(indicators: indicators)
        let baseline = tshark == "none" ? nil : try TSharkBaseline.run(executable: tshark, capture: capture)
        let result = PipelineResult(
            capture: capture, frames: frames, outcome: reference, iterations: iterations,
            medianNs: percentile(passNanoseconds, 0.5), bestNs: passNanoseconds[0],
            worstNs: passNanoseconds[passNanoseconds.count - 1],
            allocations: allocations, rssAfterLoadKiB: rssAfterLoad, peakRSSKiB: peakResidentKiB(),
            tshark: baseline, bypass: bypass, bypassedAllocations: bypassedAllocations
        )
        switch format {
        case .text: print(result.text())
        case .json: print(result.json())
        }
        if let baseline, baseline.certificateMessages != reference.sessionsWithChain {
            throw BenchError("correctness: \(reference.sessionsWithChain) sessions with a chain, tshark printed \(baseline.certificateMessages) Certificate messages")
        }
    }
}

/// Every frame of a capture in one byte array (plus offsets), so passes read memory, not libpcap.
struct CapturedFrames {
    var storage: [UInt8] = []
    var ranges: [Range<Int>] = []
    var wireLengths: [Int] = []
    var times: [Timestamp] = []
    var linkType: LinkType
    var wireBytes = 0
    var prefetch = true
    var detection: DaemonDefaultRules?

    var count: Int { ranges.count }

    private func prefetchFrame(_ index: Int) {
        // unsafe: only the address of a byte inside `storage` is formed; prefetch never faults.
        unsafe storage.withUnsafeBufferPointer { unsafe mw_prefetch($0.baseAddress! + ranges[index].lowerBound) }
    }

    static func load(path: String) throws -> CapturedFrames {
        let file: PcapFile
        do { file = try PcapFile(path: path) } catch { throw BenchError(error.description) }
        var frames = CapturedFrames(linkType: .ethernet)
        let outcome = file.forEachPacket { bytes, wireLength, time, linkType in
            frames.linkType = linkType  // the bench's captures have one link type
            let start = frames.storage.count
            for index in bytes.indices { frames.storage.append(bytes[index]) }
            frames.ranges.append(start..<frames.storage.count)
            frames.wireLengths.append(wireLength)
            frames.times.append(time)
            frames.wireBytes += max(wireLength, bytes.count)
        }
        if case .truncated(let reason) = outcome { throw BenchError("\(path): truncated capture: \(reason)") }
        return frames
    }

    /// Where the capture's tail of packets that all land in bypassed flows starts (`count` if the
    /// last packet is not one). Found by watching the counter after every packet (not timed).
    func bypassedTailStart() -> Int {
        var pipeline = Pipeline(observer: SessionsOnlyObserver { _ in })
        let all = storage.span
        var start = 0
        var bypassed: UInt64 = 0
        for index in ranges.indices {
            pipeline.process(frame: all.extracting(ranges[index]), originalLength: wireLengths[index],
                             linkType: linkType, at: times[index])
            let now = pipeline.counters[.segmentsInBypassedFlows]
            if now == bypassed { start = index + 1 }
            bypassed = now
        }
        return start
    }

    /// Heap allocations made while processing the packets that land in bypassed flows (each
    /// packet counted on its own, in a pass that is not timed; an idle sweep that falls on such a
    /// packet counts too).
    func bypassedPacketAllocations(indicators: IndicatorSet) -> BypassedAllocations {
        let configuration = detection?.configuration(indicators) ?? DetectionConfiguration(indicators: indicators)
        var pipeline = Pipeline(observer: DetectionObserver(rules: RuleSet(configuration)) { _ in })
        let all = storage.span
        var result = BypassedAllocations()
        var bypassed = pipeline.counters[.segmentsInBypassedFlows]
        for index in ranges.indices {
            mw_alloc_counter_start()
            pipeline.process(frame: all.extracting(ranges[index]), originalLength: wireLengths[index],
                             linkType: linkType, at: times[index])
            let counted = mw_alloc_counter_stop()
            let now = pipeline.counters[.segmentsInBypassedFlows]
            if now != bypassed {
                result.packets += 1
                result.allocations += counted.allocations
            }
            bypassed = now
        }
        pipeline.finish()
        return result
    }

    /// One pass of a fresh pipeline over every frame (or the first `end`), then `finish()`.
    func runPass(indicators: IndicatorSet, upTo end: Int? = nil) -> PassOutcome {
        let tally = SessionTally()
        let configuration = detection?.configuration(indicators) ?? DetectionConfiguration(indicators: indicators)
        var pipeline = Pipeline(observer: DetectionObserver(rules: RuleSet(configuration)) { report in
            tally.sessions += 1
            if report.session.serverChain != nil { tally.sessionsWithChain += 1 }
            tally.findings += report.findings.count
        })
        let all = storage.span
        let link = linkType
        let count = end ?? ranges.count
        for index in 0..<count {
            // The next frame's headers start loading while this one is processed, as a capture
            // loop reading a ring would do; without it every frame begins with a cache miss on
            // a capture larger than the caches (see --no-prefetch).
            if prefetch && index + 2 < count { prefetchFrame(index + 2) }
            pipeline.process(frame: all.extracting(ranges[index]), originalLength: wireLengths[index],
                             linkType: link, at: times[index])
        }
        pipeline.finish()
        return PassOutcome(sessions: tally.sessions, sessionsWithChain: tally.sessionsWithChain,
                           findings: tally.findings)
    }
}

/// Counts what the observer reports (the report closure is escaping, so it writes through a box).
final class SessionTally {
    var sessions = 0
    var sessionsWithChain = 0
    var findings = 0
}

struct PassOutcome: Equatable {
    var sessions: Int
    var sessionsWithChain: Int
    var findings: Int
}

/// `VmHWM` (peak resident set) of this process, in KiB.
func peakResidentKiB() -> Int { procStatusKiB("VmHWM") }

/// One tshark run printing every Certificate message's certificates, one line per message.
struct TSharkBaseline {
    var command: String
    var version: String
    var wallNs: Double
    var certificateMessages: Int

    static func run(executable: String, capture: String) throws -> TSharkBaseline {
        let arguments = ["-r", capture, "-Y", "tls.handshake.type==11", "-T", "fields", "-e", "tls.handshake.certificate"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let start = monotonicNanoseconds()
        do { try process.run() } catch { throw BenchError("cannot run \(executable): \(error)") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let wall = Double(monotonicNanoseconds() &- start)
        guard process.terminationStatus == 0 else {
            throw BenchError("\(executable) exited with status \(process.terminationStatus)")
        }
        var lines = 0
        var lineHasData = false
        for byte in data {
            if byte == UInt8(ascii: "\n") {
                if lineHasData { lines += 1 }
                lineHasData = false
            } else {
                lineHasData = true
            }
        }
        if lineHasData { lines += 1 }
        return TSharkBaseline(command: ([executable] + arguments).joined(separator: " "),
                              version: Self.version(executable), wallNs: wall, certificateMessages: lines)
    }

    static func version(_ executable: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--version"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "unknown" }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "unknown"
    }
}

struct PipelineResult {
    var capture: String
    var frames: CapturedFrames
    var outcome: PassOutcome
    var iterations: Int
    var medianNs: Double
    var bestNs: Double
    var worstNs: Double
    var allocations: mw_alloc_counts
    var rssAfterLoadKiB: Int
    var peakRSSKiB: Int
    var tshark: TSharkBaseline?
    var bypass: BypassTail?
    var bypassedAllocations: BypassedAllocations

    var packets: Double { Double(frames.count) }
    var packetsPerSecond: Double { packets / (medianNs / 1e9) }
    var gigabitsPerSecond: Double { Double(frames.wireBytes) * 8 / medianNs }
    var handshakesPerSecond: Double { Double(outcome.sessionsWithChain) / (medianNs / 1e9) }
    var nsPerPacket: Double { medianNs / packets }
    var allocationsPerPacket: Double { Double(allocations.allocations) / packets }
    var allocationsPerHandshake: Double { Double(allocations.allocations) / Double(max(outcome.sessionsWithChain, 1)) }
    var ratio: Double? { tshark.map { $0.wallNs / medianNs } }

    func text() -> String {
        func fixed(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
        var lines = [
            "capture: \(capture)",
            "  \(frames.count) packets, \(frames.wireBytes) wire bytes, link type \(frames.linkType.rawValue)",
            "  sessions reported: \(outcome.sessions), with a server chain: \(outcome.sessionsWithChain), findings: \(outcome.findings)",
            "mitmwatch Pipeline + DetectionObserver (\(iterations) timed passes, median; best/worst):",
            "  pass:            \(fixed(medianNs / 1e6, 2)) ms (\(fixed(bestNs / 1e6, 2)) / \(fixed(worstNs / 1e6, 2)))",
            "  packets/s:       \(fixed(packetsPerSecond / 1e6, 3)) M",
            "  Gbit/s:          \(fixed(gigabitsPerSecond, 3))",
            "  handshakes/s:    \(fixed(handshakesPerSecond / 1e3, 1)) k",
            "  ns/packet:       \(fixed(nsPerPacket, 1))",
            "  allocs/packet:   \(fixed(allocationsPerPacket, 3)) (\(fixed(allocationsPerHandshake, 1)) per handshake; \(allocations.bytes) bytes in the counted pass)",
            "  peak RSS:        \(peakRSSKiB / 1024) MiB (VmHWM; \(rssAfterLoadKiB / 1024) MiB after loading the capture)",
        ]
        lines.append("  bypassed:        \(bypassedAllocations.packets) packets in bypassed flows, \(bypassedAllocations.allocations) allocations while processing them")
        if let bypass {
            lines.append("  bypassed tail:   \(bypass.packets) packets, \(fixed(bypass.nanosecondsPerPacket, 1)) ns/packet (whole pass minus the pass that stops before them)")
        }
        if let tshark, let ratio {
            lines += [
                "tshark baseline (\(tshark.version)):",
                "  \(tshark.command)",
                "  wall:            \(fixed(tshark.wallNs / 1e6, 1)) ms, \(tshark.certificateMessages) Certificate messages",
                "  mitmwatch vs tshark: \(fixed(ratio, 1))x faster",
                "  correctness:     \(tshark.certificateMessages == outcome.sessionsWithChain ? "ok" : "MISMATCH") (\(outcome.sessionsWithChain) sessions with a chain vs \(tshark.certificateMessages) Certificate messages)",
            ]
        }
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        func number(_ value: Double) -> String { value.isFinite ? String(format: "%.3f", value) : "null" }
        var fields = [
            "\"capture\":\"\(capture)\"", "\"packets\":\(frames.count)", "\"wire_bytes\":\(frames.wireBytes)",
            "\"sessions\":\(outcome.sessions)", "\"sessions_with_chain\":\(outcome.sessionsWithChain)",
            "\"findings\":\(outcome.findings)", "\"iterations\":\(iterations)",
            "\"pass_ns_median\":\(number(medianNs))", "\"pass_ns_best\":\(number(bestNs))", "\"pass_ns_worst\":\(number(worstNs))",
            "\"packets_per_s\":\(number(packetsPerSecond))", "\"gbit_per_s\":\(number(gigabitsPerSecond))",
            "\"handshakes_per_s\":\(number(handshakesPerSecond))", "\"ns_per_packet\":\(number(nsPerPacket))",
            "\"allocs_per_packet\":\(number(allocationsPerPacket))", "\"alloc_bytes\":\(allocations.bytes)",
            "\"peak_rss_kib\":\(peakRSSKiB)", "\"rss_after_load_kib\":\(rssAfterLoadKiB)",
        ]
        fields += ["\"bypassed_packets\":\(bypassedAllocations.packets)",
                   "\"bypassed_packet_allocations\":\(bypassedAllocations.allocations)"]
        if let bypass {
            fields += ["\"bypassed_tail_packets\":\(bypass.packets)", "\"ns_per_bypassed_packet\":\(number(bypass.nanosecondsPerPacket))"]
        }
        if let tshark, let ratio {
            fields += [
                "\"tshark_wall_ns\":\(number(tshark.wallNs))", "\"tshark_certificate_messages\":\(tshark.certificateMessages)",
                "\"ratio_vs_tshark\":\(number(ratio))",
                "\"correct\":\(tshark.certificateMessages == outcome.sessionsWithChain)",
            ]
        }
        return "{" + fields.joined(separator: ",") + "}"
    }
}

/// Packets that landed in bypassed flows and the allocations made while processing them.
struct BypassedAllocations {
    var packets = 0
    var allocations: UInt64 = 0
}

/// The packets at the end of a capture that all belong to bypassed flows, and what they cost.
struct BypassTail {
    var packets: Int
    var nanoseconds: Double
    var nanosecondsPerPacket: Double { nanoseconds / Double(packets) }
}

/// The rules `mitmwatch run` enables by default (indicators, untrusted-chain in the public scope,
/// missing-sct); each pass makes a fresh `RuleSet` (empty caches) from it.
struct DaemonDefaultRules {
    let store: TrustStore
    let suffixes: PublicSuffixList

    init(trustStore: String?) throws {
        do {
            store = try TrustStore(path: trustStore)
            suffixes = try PublicSuffixList.system()
        } catch { throw BenchError("daemon-default rules: \(error)") }
    }

    func configuration(_ indicators: IndicatorSet) -> DetectionConfiguration {
        DetectionConfiguration(indicators: indicators, trustStore: store,
                               untrustedChain: .init(scope: .public, publicSuffixes: suffixes, allowList: InspectionAllowList()),
                               missingSCT: true)
    }
}
