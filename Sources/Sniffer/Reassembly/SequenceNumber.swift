/// TCP sequence arithmetic modulo 2^32 (RFC 793 / RFC 1982 serial numbers).
enum SequenceNumber {
    /// Signed distance from `base` to `value`, correct across the 2^32 wrap for |d| < 2^31.
    @inline(__always)
    static func distance(from base: UInt32, to value: UInt32) -> Int {
        Int(Int32(bitPattern: value &- base))
    }
}
