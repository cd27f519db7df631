import Wire

/// The byte order a capture file (or one pcapng section) was written in: the writer's own.
public enum CaptureByteOrder: Sendable, Equatable {
    case big, little
}

// Capture files are written in the byte order of the host that wrote them, so their integer
// fields are read through these rather than the cursor's network-order readers.
extension ByteCursor {
    @_lifetime(self: copy self)
    @inlinable
    mutating func readUInt16(_ order: CaptureByteOrder) -> UInt16? {
        guard let value = readUInt16() else { return nil }
        return order == .big ? value : value.byteSwapped
    }

    @_lifetime(self: copy self)
    @inlinable
    mutating func readUInt32(_ order: CaptureByteOrder) -> UInt32? {
        guard let value = readUInt32() else { return nil }
        return order == .big ? value : value.byteSwapped
    }

    @_lifetime(self: copy self)
    @inlinable
    mutating func readUInt64(_ order: CaptureByteOrder) -> UInt64? {
        guard remaining >= 8, let first = readUInt32(), let second = readUInt32() else { return nil }
        let value = UInt64(first) &<< 32 | UInt64(second)
        return order == .big ? value : value.byteSwapped
    }

    /// A 32-bit value `index` bytes ahead in `order`, if the bytes are there (consumes nothing).
    @inlinable
    func peekUInt32(_ index: Int, _ order: CaptureByteOrder) -> UInt32? {
        guard let value = peekUInt32(index) else { return nil }
        return order == .big ? value : value.byteSwapped
    }
}
