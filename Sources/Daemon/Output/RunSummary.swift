import Foundation
import Output
import Sniffer

/// What a `read` run did, printed on stderr at the end.
struct RunSummary {
    struct File {
        var path: String
        var format: CaptureFormat
        /// The distinct link types of the file's interfaces: one for a classic pcap, one per
        /// kind of interface for a pcapng (e.g. Ethernet and raw IP from `dumpcap -i eth0 -i wg0`).
        var linkTypes: [LinkType]
        var packets: Int
        var drops: CaptureDrops
        var outcome: PcapFile.Outcome

        /// One link type by name; "mixed" when the interfaces differ, "none" when it describes none.
        var linkType: String {
            linkTypes.count == 1 ? "\(linkTypes[0])" : linkTypes.isEmpty ? "none" : "mixed"
        }

        var linkTypeText: String {
            switch linkTypes.count {
            case 0: "no interfaces"
            case 1: "link type \(linkTypes[0])"
            default: "link types " + linkTypes.map(\.description).joined(separator: ", ")
            }
        }

        var dropText: String? {
            guard drops.packets > 0 else { return nil }
            var reasons: [String] = []
            if drops.unknownInterface > 0 {
                reasons.append("\(drops.unknownInterface) on an interface the file does not describe")
            }
            if drops.malformedPackets > 0 { reasons.append("\(drops.malformedPackets) malformed") }
            return "\(drops.packets) packets dropped (" + reasons.joined(separator: ", ") + ")"
        }
    }

    var files: [File] = []
    /// Threads that read the input (`read --workers`).
    var workers = 1
    /// TLS sessions each worker reported (how evenly the connections were shared out).
    var sessionsByWorker: [UInt64] = []
    var counters = Counters()
    var reassemblyPeakBytes = 0
    var alerts = 0
    var alertsSuppressed = 0
    var certificateCacheHits: UInt64 = 0
    var certificateCacheMisses: UInt64 = 0
    /// The process's peak resident set (VmHWM), when /proc says.
    var peakRSSBytes: Int?
    /// `--evidence`: bundles written, not written, removed by the size cap; and the frames kept.
    var evidence: (written: Int, failed: Int, removed: Int)?
    var evidenceFrames = EvidenceCounts()

    var text: String {
        var lines: [String] = []
        for file in files {
            var line = "file \(file.path): \(file.packets) packets, \(file.linkTypeText)"
            if let drops = file.dropText { line += ", " + drops }
            if case .truncated(let reason) = file.outcome { line += " — TRUNCATED (\(reason)); processed what it holds" }
            lines.append(line)
        }
        let c = counters
        lines.append("packets \(c[.packets]), bytes \(c[.bytes]), tcp segments \(c[.tcpSegments]), "
            + "flows \(c[.flowsCreated]) (bypassed \(c[.flowsBypassed]), expired idle \(c[.flowsEvictedIdle]))")
        lines.append("tls sessions \(c[.tlsSessions]), certificate messages \(c[.certificateMessages]), "
            + "certificates \(c[.certificates]) (cache: \(certificateCacheHits) hits, \(certificateCacheMisses) parsed), "
            + "tls1.3 chains encrypted \(c[.tls13ChainsEncrypted])")
        lines.append("reassembly: gaps \(c[.reassemblyGaps]), tls resyncs \(c[.tlsResyncs]), "
            + "out-of-order segments \(c[.segmentsOutOfOrder]), retransmissions \(c[.segmentsRetransmitted]), "
            + "overlaps that differed \(c[.segmentsOverlapInconsistent]) segments / "
            + "\(c[.overlapInconsistentBytes]) bytes, peak buffered bytes \(reassemblyPeakBytes)")
        if workers > 1 {
            lines.append("workers \(workers), each following its share of the connections (tls sessions: "
                + sessionsByWorker.map(String.init).joined(separator: ", ") + ")")
        }
        lines.append("memory: peak RSS " + (peakRSSBytes.map { "\($0) bytes (\($0 >> 20) MiB)" } ?? "unknown"))
        lines.append("alerts \(alerts)" + (alertsSuppressed > 0 ? " (\(alertsSuppressed) repeats suppressed)" : ""))
        if let evidence {
            let frames = evidenceFrames
            lines.append("evidence: \(evidence.written) bundles (failed \(evidence.failed), removed by the size cap \(evidence.removed)); "
                + "frames kept \(frames.framesKept), left out: over a flow's limits \(frames.framesOverFlowLimit), "
                + "over the memcap \(frames.framesOverMemcap), another link type \(frames.framesOtherLinkType)")
        }
        let drops = c.drops
        if drops.isEmpty {
            lines.append("drops: none")
        } else {
            lines.append("drops: " + drops.map { "\($0.0.name)=\($0.1)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    /// The same as one JSON object (`event.dataset: mitmwatch.summary`): every counter by its
    /// name, drops apart.
    var json: String {
        var json = JSONBuffer(capacity: 2048)
        json.beginRecord()
        json.beginObject("event")
        json.field("kind", "metric")
        json.field("dataset", "mitmwatch.summary")
        json.endObject()
        json.beginArray("files")
        for file in files {
            json.beginObjectElement()
            json.field("path", file.path)
            json.field("packets", file.packets)
            json.field("link_type", file.linkType)
            json.field("link_types", file.linkTypes.map(\.description))
            json.field("format", file.format.description)
            json.beginObject("packets_dropped")
            json.field("unknown_interface", file.drops.unknownInterface)
            json.field("malformed", file.drops.malformedPackets)
            json.endObject()
            if case .truncated(let reason) = file.outcome { json.field("truncated", "\(reason)") }
            json.endObject()
        }
        json.endArray()
        json.beginObject("counters")
        for counter in Counter.allCases where !counter.isDrop { json.field(named: counter.name, counters[counter]) }
        json.endObject()
        json.beginObject("drops")
        for (counter, value) in counters.drops { json.field(named: counter.name, value) }
        json.endObject()
        json.beginObject("reassembly"); json.field("peak_buffered_bytes", reassemblyPeakBytes); json.endObject()
        json.beginObject("certificate_cache")
        json.field("hits", certificateCacheHits)
        json.field("misses", certificateCacheMisses)
        json.endObject()
        json.field("alerts", alerts)
        json.field("alerts_suppressed", alertsSuppressed)
        json.field("workers", workers)
        json.field("worker_tls_sessions", sessionsByWorker.map { Int($0) })
        json.beginObject("process"); json.field("peak_rss_bytes", peakRSSBytes); json.endObject()
        if let evidence {
            json.beginObject("evidence")
            json.field("bundles_written", evidence.written)
            json.field("bundles_failed", evidence.failed)
            json.field("bundles_removed", evidence.removed)
            json.field("frames_kept", Int(evidenceFrames.framesKept))
            json.field("frames_over_flow_limit", Int(evidenceFrames.framesOverFlowLimit))
            json.field("frames_over_memcap", Int(evidenceFrames.framesOverMemcap))
            json.field("frames_other_link_type", Int(evidenceFrames.framesOtherLinkType))
            json.endObject()
        }
        json.endRecord()
        return String(decoding: json.bytes.dropLast(), as: UTF8.self)
    }
}

/// The process's memory as Linux reports it.
enum ProcessMemory {
    /// `VmHWM` (peak resident set) from /proc/self/status, in bytes; nil where there is none.
    static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first
            return digits.flatMap { Int($0) }.map { $0 * 1024 }
        }
        return nil
    }
}

