/// A read-or-fail cursor over bytes that came from the network.
///
/// Every wire parser in mitmwatch — link layers, IP, TCP, TLS records and handshakes, DER — reads
/// through this one type, in the style of Go's `cryptobyte.String` and BoringSSL's `CBS`:
///
/// * each read either consumes the bytes and returns a value, or returns `nil` and consumes
///   nothing, so a failed parse can never read out of bounds or leave the cursor half-moved;
/// * a length-prefixed value becomes a child cursor over exactly those bytes, so nested
///   structures read as nested code and no length arithmetic leaks out;
/// * nothing is copied and nothing is allocated: the cursor is a window (`Span<UInt8>`) onto
///   bytes that stay where they already lie (a pcap buffer, a reassembly buffer).
///
/// The cursor cannot outlive the bytes it views (`~Escapable`), which the compiler checks.
public struct ByteCursor: ~Escapable {
    /// The bytes not yet consumed.
    public private(set) var bytes: Span<UInt8>
    /// How many bytes have been consumed since the cursor was made (for error offsets).
    public private(set) var offset: Int

    @_lifetime(copy bytes)
    public init(_ bytes: Span<UInt8>, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count }
    public var isEmpty: Bool { bytes.isEmpty }

    // MARK: Peeking (never consumes)

    /// The byte `index` positions ahead, if there is one.
    public func peek(_ index: Int = 0) -> UInt8? {
        guard index >= 0, index < bytes.count else { return nil }
        return bytes[index]
    }

    /// A big-endian 16-bit value `index` bytes ahead, if the bytes are there.
    public func peekUInt16(_ index: Int = 0) -> UInt16? {
        guard index >= 0, index <= bytes.count - 2 else { return nil }
        return UInt16(bytes[index]) &<< 8 | UInt16(bytes[index + 1])
    }

    /// A big-endian 24-bit value `index` bytes ahead, if the bytes are there.
    public func peekUInt24(_ index: Int = 0) -> UInt32? {
        guard index >= 0, index <= bytes.count - 3 else { return nil }
        return UInt32(bytes[index]) &<< 16 | UInt32(bytes[index + 1]) &<< 8 | UInt32(bytes[index + 2])
    }

    /// A big-endian 32-bit value `index` bytes ahead, if the bytes are there.
    public func peekUInt32(_ index: Int = 0) -> UInt32? {
        guard let high = peekUInt16(index), let low = peekUInt16(index + 2) else { return nil }
        return UInt32(high) &<< 16 | UInt32(low)
    }

    // MARK: Reading integers (big-endian, network order)

    @_lifetime(self: copy self)
    public mutating func readUInt8() -> UInt8? {
        guard let value = peek() else { return nil }
        advance(1)
        return value
    }

    @_lifetime(self: copy self)
    public mutating func readUInt16() -> UInt16? {
        guard let value = peekUInt16() else { return nil }
        advance(2)
        return value
    }

    @_lifetime(self: copy self)
    public mutating func readUInt24() -> UInt32? {
        guard let value = peekUInt24() else { return nil }
        advance(3)
        return value
    }

    @_lifetime(self: copy self)
    public mutating func readUInt32() -> UInt32? {
        guard let value = peekUInt32() else { return nil }
        advance(4)
        return value
    }

    /// A 32-bit value stored in little-endian order (pcap link headers written by the host).
    @_lifetime(self: copy self)
    public mutating func readUInt32LittleEndian() -> UInt32? {
        guard let value = peekUInt32() else { return nil }
        advance(4)
        return value.byteSwapped
    }

    // MARK: Skipping and slicing

    /// Consumes `count` bytes; fails (consuming nothing) if fewer remain.
    @_lifetime(self: copy self)
    public mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, count <= bytes.count else { return false }
        advance(count)
        return true
    }

    /// Consumes `count` bytes and returns a cursor over exactly them.
    @_lifetime(copy self)
    @_lifetime(self: copy self)
    public mutating func read(_ count: Int) -> ByteCursor? {
        guard count >= 0, count <= bytes.count else { return nil }
        let child = ByteCursor(bytes.extracting(first: count), offset: offset)
        advance(count)
        return child
    }

    /// Consumes an 8-bit length and that many bytes, returned as a child cursor.
    @_lifetime(copy self)
    @_lifetime(self: copy self)
    public mutating func readUInt8LengthPrefixed() -> ByteCursor? {
        guard let length = peek(), Int(length) <= bytes.count - 1 else { return nil }
        advance(1)
        return read(Int(length))
    }

    /// Consumes a 16-bit length and that many bytes, returned as a child cursor.
    @_lifetime(copy self)
    @_lifetime(self: copy self)
    public mutating func readUInt16LengthPrefixed() -> ByteCursor? {
        guard let length = peekUInt16(), Int(length) <= bytes.count - 2 else { return nil }
        advance(2)
        return read(Int(length))
    }

    /// Consumes a 24-bit length and that many bytes, returned as a child cursor.
    @_lifetime(copy self)
    @_lifetime(self: copy self)
    public mutating func readUInt24LengthPrefixed() -> ByteCursor? {
        guard let length = peekUInt24(), Int(length) <= bytes.count - 3 else { return nil }
        advance(3)
        return read(Int(length))
    }

    /// Consumes everything left and returns it as a cursor.
    @_lifetime(copy self)
    @_lifetime(self: copy self)
    public mutating func readRest() -> ByteCursor {
        let child = ByteCursor(bytes, offset: offset)
        advance(bytes.count)
        return child
    }

    /// Drops bytes from the end (e.g. Ethernet padding past an IP datagram's total length).
    @_lifetime(self: copy self)
    public mutating func truncate(to count: Int) {
        guard count >= 0, count < bytes.count else { return }
        bytes = bytes.extracting(first: count)
    }

    /// The first index at or after `start` where `predicate` holds for the bytes from there on.
    public func firstIndex(from start: Int = 0, where predicate: (borrowing ByteCursor) -> Bool) -> Int? {
        var index = max(0, start)
        while index < bytes.count {
            let window = ByteCursor(bytes.extracting(droppingFirst: index), offset: offset + index)
            if predicate(window) { return index }
            index += 1
        }
        return nil
    }

    @_lifetime(self: copy self)
    private mutating func advance(_ count: Int) {
        bytes = bytes.extracting(droppingFirst: count)
        offset += count
    }
}
