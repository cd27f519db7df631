// libFuzzer target: the input is a whole capture file (pcap or pcapng), read in memory by
// `CaptureFileReader` — the parser `PcapFile` runs over a mapped file. Every packet's bytes are
// touched (ASan catches a view past the input), and the report is checked for what must hold:
// packets counted as handed over, bounded lists, a reason for every early end.
//
// Build and run with scripts/fuzz.sh FuzzCaptureFile SECONDS.

import FuzzSupport
import Sniffer
import Wire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // unsafe: libFuzzer guarantees `data` points to `size` initialised bytes that stay valid and
    // unmodified until this function returns; the span handed to the closure cannot escape it.
    unsafe withBorrowedBytes(data, count: size) { input in
        var packets = 0
        var checksum: UInt8 = 0
        let report: CaptureReadReport
        do throws(CaptureFormatError) {
            report = try CaptureFileReader.read(input) { frame, _, _, _ in
                packets += 1
                // Every packet is a view into the input: no longer than it, every byte readable.
                if frame.count > input.count { fatalError("a \(frame.count)-byte packet from \(input.count) bytes") }
                for index in frame.indices { checksum &+= frame[index] }
            }
        } catch {
            if error.reason.isEmpty { fatalError("a format error without a reason") }
            return
        }
        if report.packets != packets { fatalError("report says \(report.packets) packets, \(packets) handed over") }
        if report.linkTypes.count > CaptureReadReport.maxDistinctLinkTypes { fatalError("link types unbounded") }
        if case .truncated(let reason) = report.outcome, reason.isEmpty { fatalError("truncated without a reason") }
        // A pcapng block is at least 12 bytes and a pcap record 16, so neither packets nor
        // interfaces can outnumber the input's bytes.
        if packets > input.count / 12 || report.interfaces > input.count / 12 {
            fatalError("more records than the bytes can hold")
        }
        _ = checksum
    }
    return 0
}

// MARK: Entry point (the `main` SwiftPM links this executable with; see FuzzSupport)

@_cdecl("FuzzCaptureFile_main")
func entryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    unsafe runLibFuzzer(argc, argv, fuzz)
}
