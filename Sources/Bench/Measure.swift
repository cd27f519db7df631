import BenchAllocationCounter
import Glibc

/// Monotonic time in nanoseconds (`clock_gettime(CLOCK_MONOTONIC)`).
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    _ = unsafe clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

/// One parser's numbers over one corpus.
struct ParserResult {
    var name: String
    var nsPerCert: Double
    var nsP10: Double
    var nsP90: Double
    var allocsPerCert: Double
    var freesPerCert: Double
    var bytesPerCert: Double
    var certificates: Int
    var iterations: Int
    /// Folded from the parsed fields, printed so the optimizer cannot drop the parsing.
    var checksum: UInt64
    /// Passes whose checksum differed from the warm-up's (must be 0: same input, same fields).
    var mismatchedPasses: Int
}

/// One pass over every certificate of the corpus, folding `body`'s results.
@inline(__always)
func runPass(_ storage: borrowing [UInt8], _ ranges: borrowing [Range<Int>],
             _ body: (Span<UInt8>) -> UInt64) -> UInt64 {
    var checksum: UInt64 = 0
    let all = storage.span
    for index in ranges.indices {
        checksum = checksum &* 31 &+ body(all.extracting(ranges[index]))
    }
    return checksum
}

/// Times `body` over the corpus: one warm-up pass, one pass with allocation counting, then
/// `iterations` timed passes; ns/cert per pass, median and p10/p90 over passes.
@inline(__always)
func measure(_ name: String, corpus: Corpus, iterations: Int,
             _ body: (Span<UInt8>) -> UInt64) -> ParserResult {
    let storage = corpus.storage
    let ranges = corpus.ranges
    let count = Double(max(ranges.count, 1))

    // Warm-up (caches, lazily initialised globals); its checksum is the one every pass must give.
    let checksum = runPass(storage, ranges, body)
    var mismatches = 0

    mw_alloc_counter_start()
    let counted = runPass(storage, ranges, body)
    let counts = mw_alloc_counter_stop()
    if counted != checksum { mismatches += 1 }

    var perCertificate: [Double] = []
    perCertificate.reserveCapacity(iterations)
    for _ in 0..<iterations {
        let start = monotonicNanoseconds()
        let passChecksum = runPass(storage, ranges, body)
        let elapsed = monotonicNanoseconds() &- start
        if passChecksum != checksum { mismatches += 1 }
        perCertificate.append(Double(elapsed) / count)
    }
    perCertificate.sort()
    return ParserResult(
        name: name,
        nsPerCert: percentile(perCertificate, 0.5),
        nsP10: percentile(perCertificate, 0.1),
        nsP90: percentile(perCertificate, 0.9),
        allocsPerCert: Double(counts.allocations) / count,
        freesPerCert: Double(counts.frees) / count,
        bytesPerCert: Double(counts.bytes) / count,
        certificates: ranges.count,
        iterations: iterations,
        checksum: checksum,
        mismatchedPasses: mismatches
    )
}

/// Linear-interpolated percentile of sorted values (`fraction` in 0...1).
func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let position = fraction * Double(sorted.count - 1)
    let lower = Int(position.rounded(.down))
    let upper = min(lower + 1, sorted.count - 1)
    let weight = position - Double(lower)
    return sorted[lower] * (1 - weight) + sorted[upper] * weight
}

/// Checks that the interposed allocator really counts: `arrays` heap arrays, kept alive in a
/// preallocated outer array so none can be stack-promoted, must read as exactly that many
/// allocations (and dropping them as that many frees).
func allocationCounterSelfTest(arrays: Int = 100) -> (allocations: UInt64, frees: UInt64, ok: Bool) {
    var keep: [[Int]] = []
    keep.reserveCapacity(arrays)
    mw_alloc_counter_start()
    for index in 0..<arrays {
        keep.append(Array(repeating: index, count: 16 + index))
    }
    let allocated = mw_alloc_counter_stop()
    var sum = 0
    for array in keep { sum &+= array[array.count - 1] }
    mw_alloc_counter_start()
    keep.removeAll(keepingCapacity: true)
    let freed = mw_alloc_counter_stop()
    let expectedSum = (0..<arrays).reduce(0, +)
    let ok = mw_alloc_counter_is_active() != 0 && allocated.allocations == UInt64(arrays)
        && freed.frees == UInt64(arrays) && sum == expectedSum
    return (allocated.allocations, freed.frees, ok)
}

/// A `kB` field of /proc/self/status (`VmRSS`, `VmHWM`, …), or -1.
func procStatusKiB(_ field: String) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? -1
    }
    return -1
}

/// Stops the run unless the allocation counter reads 100 heap arrays as exactly 100 allocations
/// and 100 frees (otherwise every allocation figure would be wrong); returns what it read.
@discardableResult
func requireAllocationCounter() throws -> (allocations: UInt64, frees: UInt64, ok: Bool) {
    let selfTest = allocationCounterSelfTest()
    guard selfTest.ok else {
        throw BenchError("allocation counter self-test failed: 100 arrays read as \(selfTest.allocations) allocations, \(selfTest.frees) frees")
    }
    return selfTest
}
