// The one piece every libFuzzer target shares: handing control to libFuzzer's driver.
//
// SwiftPM links executable targets with `main` aliased to `<Target>_main`, so each target still
// declares that symbol itself (three lines) and calls `runLibFuzzer` from it. The driver exists
// only when linked with `-sanitize=fuzzer` (scripts/fuzz.sh).

@_extern(c, "LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// Parses the command line as libFuzzer does and calls `testOneInput` for every input.
public func runLibFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt {
    var argc = argc
    var argv = unsafe argv
    // unsafe: hands the process arguments (valid for the whole run) to libFuzzer by address.
    return unsafe runFuzzerDriver(&argc, &argv, testOneInput)
}
