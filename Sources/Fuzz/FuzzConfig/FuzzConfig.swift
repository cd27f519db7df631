// libFuzzer target: one input is one configuration file's bytes.
//
// Decodes it the way `mitmwatch run --config` and `check-config` do (JSON, then every key and
// value checked) and, when accepted, derives the sniffer's limits for one and for every worker
// count, checking the invariants the daemon relies on. `DaemonConfig.swift` here is a symlink to
// the daemon's own file (an executable target cannot be linked into another), so the code fuzzed
// is the code shipped. Build and run with scripts/fuzz.sh FuzzConfig SECONDS.

import Foundation
import Sniffer
import FuzzSupport
import Wire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // unsafe: libFuzzer guarantees `data` points to `size` initialised bytes until we return.
    let bytes = unsafe Data(bytes: data, count: size)
    guard let value = try? JSONDecoder().decode(JSONValue.self, from: bytes) else { return 0 }
    let config: DaemonConfig
    do { config = try DaemonConfig.decode(value) } catch {
        // A rejection must say which key (or the top level) is wrong.
        if error.description.isEmpty { fatalError("an empty configuration error") }
        return 0
    }
    let limits = config.snifferLimits
    if limits.reassembly.memcap < limits.reassembly.maxFlowBytes { fatalError("accepted memcap below max_flow_bytes") }
    if limits.flows.maxFlows < 1 { fatalError("accepted max_flows below 1") }
    var perWorker = config
    for workers in [1, 2, 64] {
        perWorker.capture.workers = workers
        let share = perWorker.workerLimits
        if share.flows.maxFlows < 1 || share.reassembly.memcap < share.reassembly.maxFlowBytes {
            fatalError("worker limits out of bounds for \(workers) workers")
        }
    }
    return 0
}

// MARK: Entry point (the `main` SwiftPM links this executable with; see FuzzSupport)

@_cdecl("FuzzConfig_main")
func entryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    unsafe runLibFuzzer(argc, argv, fuzz)
}
