// libFuzzer target: captured frames through the whole pipeline (decode → flows → reassembly →
// TLS → X.509 → detection: `DetectionObserver` with the built-in indicators, `untrusted-chain`
// against the system trust store through OpenSSL, and the SCT check), in a fresh pipeline per
// input with small limits, keeping frames for evidence.
//
// Input format:
//   byte 0, bits 0-6: link type, as an index (mod 12) into `linkTypes` below;
//   byte 0, bit 7:    0 = the rest is one frame;
//                     1 = the rest is several frames, each a 2-byte big-endian length and that
//                         many bytes (the last one may be short), so IP fragment reassembly and
//                         multi-segment flows can be reached too.
// Build and run with scripts/fuzz.sh FuzzPacket SECONDS.

import Detector
import Sniffer
import FuzzSupport
import Wire

/// Every link type `PacketDecoder` decodes.
let linkTypes: [LinkType] = [
    .null, .ethernet, .ppp, .raw, .rawOpenBSD, .pppSerial, .linktypeRaw, .loop,
    .linuxSLL, .ipv4, .ipv6, .linuxSLL2,
]

/// Loaded once: indicators, trust store and public suffixes are the same for every input.
struct Detection: Sendable {
    let indicators = IndicatorSet.builtIn()
    let store = try? TrustStore(path: nil)
    let suffixes = try? PublicSuffixList.system()

    func observer(onReport: @escaping (SessionReport) -> Void) -> DetectionObserver {
        let untrusted = suffixes.map {
            DetectionConfiguration.UntrustedChain(scope: .all, publicSuffixes: $0, allowList: InspectionAllowList())
        }
        let configuration = DetectionConfiguration(indicators: indicators, trustStore: store,
                                                   untrustedChain: store == nil ? nil : untrusted, missingSCT: store != nil)
        return DetectionObserver(rules: RuleSet(configuration), onReport: onReport)
    }
}

let detection = Detection()

func limits() -> SnifferLimits {
    var limits = SnifferLimits()
    limits.flows.maxFlows = 64
    limits.reassembly.memcap = 1 << 20
    limits.reassembly.maxFlowBytes = 256 << 10
    limits.decoder.fragmentMemcap = 1 << 20
    limits.decoder.maxFragmentTrains = 64
    // Frames kept for evidence, with limits small enough that hostile input reaches them.
    limits.evidence = EvidenceLimits(maxPacketsPerFlow: 16, maxBytesPerFlow: 16 << 10, memcap: 64 << 10)
    return limits
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // unsafe: libFuzzer guarantees `data` points to `size` initialised bytes that stay valid and
    // unmodified until this function returns; the span handed to the closure cannot escape it.
    unsafe withBorrowedBytes(data, count: size) { input in
        guard input.count >= 1 else { return }
        let selector = input[0]
        let linkType = linkTypes[Int(selector & 0x7f) % linkTypes.count]
        let rest = input.extracting(droppingFirst: 1)
        var sessions = 0
        var pipeline = Pipeline(limits: limits(), observer: detection.observer { report in
            sessions += 1
            if let packets = report.packets, packets.packets.count > 16 || packets.capturedBytes > 16 << 10 {
                fatalError("evidence past its per-flow limits: \(packets.packets.count) frames, \(packets.capturedBytes) bytes")
            }
            // Every finding points into the chain it was found in.
            for finding in report.findings {
                if let position = finding.position, position >= max(report.serverChain.count, 1) {
                    fatalError("finding \(finding.rule) at position \(position) of a \(report.serverChain.count)-certificate chain")
                }
            }
        })
        let base: Int64 = 1_700_000_000
        if selector & 0x80 == 0 {
            pipeline.process(frame: rest, originalLength: rest.count, linkType: linkType,
                             at: Timestamp(seconds: base))
        } else {
            var cursor = ByteCursor(rest)
            var index: Int64 = 0
            while !cursor.isEmpty {
                let frame: ByteCursor
                if let whole = cursor.readUInt16LengthPrefixed() {
                    frame = whole
                } else {
                    _ = cursor.skip(min(2, cursor.remaining))
                    frame = cursor.readRest()
                }
                pipeline.process(frame: frame.bytes, originalLength: frame.remaining, linkType: linkType,
                                 at: Timestamp(seconds: base, nanoseconds: index * 1000))
                index += 1
            }
        }
        pipeline.finish()
        if pipeline.activeFlows != 0 { fatalError("flows left after finish()") }
        if pipeline.reassemblyBytes != 0 { fatalError("reassembly bytes held after finish(): \(pipeline.reassemblyBytes)") }
        if pipeline.evidenceBytes != 0 { fatalError("evidence bytes held after finish(): \(pipeline.evidenceBytes)") }
        _ = sessions
    }
    return 0
}

// MARK: Entry point (the `main` SwiftPM links this executable with; see FuzzSupport)

@_cdecl("FuzzPacket_main")
func entryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    unsafe runLibFuzzer(argc, argv, fuzz)
}
