// libFuzzer target: one input is one DER certificate.
//
// Parses it with `CertificateView(der:)` and, when that succeeds, builds the full
// `CertificateDescription` (names in RFC 2253, OIDs, GeneralNames, extensions, SHA-1/SHA-256).
// Build and run with scripts/fuzz.sh FuzzCertificate SECONDS.

import Detector
import FuzzSupport
import Wire
import Certificates

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

// MARK: Entry point (the `main` SwiftPM links this executable with; see FuzzSupport)

@_cdecl("FuzzCertificate_main")
func entryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    unsafe runLibFuzzer(argc, argv, fuzz)
}
