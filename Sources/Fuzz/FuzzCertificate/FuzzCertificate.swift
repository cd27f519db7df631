// libFuzzer target: one input is one DER certificate.
//
// Parses it with `CertificateView(der:)` and, when that succeeds, builds the full
// `CertificateDescription` (names in RFC 2253, OIDs, GeneralNames, extensions, SHA-1/SHA-256).
// Build and run with scripts/fuzz.sh FuzzCertificate SECONDS.

import Detector
import Wire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // unsafe: libFuzzer guarantees `data` points to `size` initialised bytes that stay valid and
    // unmodified until this function returns; the span handed to the closure cannot escape it.
    unsafe withBorrowedBytes(data, count: size) { der in
        guard let view = try? CertificateView(der: der) else { return }
        let description = CertificateDescription(view)
        // Keep the result observable so nothing is optimised away.
        if description.sha256.isEmpty { fatalError("empty SHA-256 for a parsed certificate") }
    }
    return 0
}

// MARK: Entry point
//
// SwiftPM links executable targets with `main` aliased to `<Target>_main`, so that is the name the
// process starts in; it hands control to libFuzzer's driver (present when linked with
// `-sanitize=fuzzer`), which parses the command line and calls `LLVMFuzzerTestOneInput`.

@_extern(c, "LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@_cdecl("FuzzCertificate_main")
func entryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = unsafe argv
    // unsafe: hands the process arguments (valid for the whole run) to libFuzzer by address.
    return unsafe runFuzzerDriver(&argc, &argv, fuzz)
}
