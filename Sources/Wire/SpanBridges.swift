#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The unsafe core of mitmwatch. Every conversion between raw pointers (from libpcap, OpenSSL or
// an Array's storage) and the safe `Span` world happens here, so it can be read, reviewed and
// fuzzed in one place. Nothing else in the project spells `unsafe` for byte access.

/// Runs `body` with a span over `count` bytes at `pointer`.
///
/// - Precondition: `pointer` stays valid and unmodified for `count` bytes until `body` returns
///   (true for a libpcap packet buffer until the next `pcap_next_ex`); `count` is not negative.
@inline(__always)
public func withBorrowedBytes<R>(
    _ pointer: UnsafePointer<UInt8>, count: Int, _ body: (Span<UInt8>) throws -> R
) rethrows -> R {
    precondition(count >= 0, "negative byte count")
    // unsafe: the caller guarantees `pointer..<pointer+count` is initialised and outlives `body`;
    // the span cannot escape `body` because Span is non-escapable.
    let span = unsafe Span(_unsafeStart: pointer, count: count)
    return try body(span)
}

/// Runs `body` with a raw buffer pointer over the span's bytes, for C APIs (OpenSSL digests).
@inline(__always)
public func withUnsafeBytes<R>(of span: Span<UInt8>, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    // unsafe: the buffer is only used for the duration of `body`, while `span` keeps it alive.
    try unsafe span.withUnsafeBytes { buffer in try unsafe body(buffer) }
}

extension String {
    /// Decodes the span as UTF-8, repairing invalid sequences with U+FFFD.
    public init(utf8 span: Span<UInt8>) {
        self = unsafe span.withUnsafeBufferPointer { unsafe String(decoding: $0, as: UTF8.self) }
    }
}

extension Array where Element == UInt8 {
    /// Copies the span's bytes into a new array (for values that must outlive the packet).
    public init(copying span: Span<UInt8>) {
        self = unsafe span.withUnsafeBufferPointer { unsafe Array($0) }
    }

    /// Appends the span's bytes.
    @inlinable
    public mutating func append(contentsOf span: Span<UInt8>) {
        unsafe span.withUnsafeBufferPointer { unsafe self.append(contentsOf: $0) }
    }

    /// Appends the UTF-8 of a compile-time string (JSON keys: one copy, no String made).
    @inlinable @inline(__always)
    public mutating func append(_ text: StaticString) {
        // unsafe: a StaticString's bytes are a constant in the binary, valid for the whole run.
        text.withUTF8Buffer { unsafe self.append(contentsOf: $0) }
    }
}

extension ByteCursor {
    /// The remaining bytes as a `String`, decoded as UTF-8 (allocates: for records, not hot paths).
    public var utf8String: String { String(utf8: bytes) }

    /// The remaining bytes as lowercase hex (allocates: for records, not hot paths).
    public var hexString: String {
        let table = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for index in 0..<bytes.count {
            let byte = bytes[index]
            out.append(table[Int(byte >> 4)])
            out.append(table[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Span where Element == UInt8 {
    /// The eight bytes at `offset` as a little-endian word (for scanning eight bytes at a time).
    @inlinable @inline(__always)
    public func loadUInt64LittleEndian(at offset: Int) -> UInt64 {
        precondition(offset >= 0 && offset <= count - 8, "load past the end of the span")
        // unsafe: the eight bytes lie inside the span (checked just above); unaligned loads are fine on every target.
        let raw = unsafe bytes
        return UInt64(littleEndian: unsafe raw.unsafeLoadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Whether both spans hold the same bytes (one `memcmp`, not a checked loop per byte).
    public func bytesEqual(_ other: Span<UInt8>) -> Bool {
        guard count == other.count else { return false }
        guard count > 0 else { return true }
        // unsafe: both buffers are valid for `count` bytes while the spans are borrowed here.
        return unsafe withUnsafeBufferPointer { mine in
            unsafe other.withUnsafeBufferPointer { theirs in
                unsafe memcmp(mine.baseAddress!, theirs.baseAddress!, count) == 0
            }
        }
    }
}
