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
    // Stored behind `@usableFromInline` so every read below can be inlined into the parsers of
    // other modules: reading a DER header must cost a handful of instructions, not a call.
    @usableFromInline var storage: Span<UInt8>
    @usableFromInline var position: Int

    /// The bytes not yet consumed.
    public var bytes: Span<UInt8> {
        @_lifetime(copy self)
        @inlinable get { storage }
    }

    /// How many bytes have been consumed since the cursor was made (for error offsets).
    @inlinable public var offset: Int { position }

    @_lifetime(copy bytes)
    @inlinable
    public init(_ bytes: Span<UInt8>, offset: Int = 0) {
        storage = bytes
        position = offset
    }

    @inlinable public var remaining: Int { storage.count }
    @inlinable public var isEmpty: Bool { storage.isEmpty }

    // MARK: Peeking (never consumes)

    /// The byte `index` positions ahead, if there is one.
    @inlinable
    public func peek(_ index: Int = 0) -> UInt8? {
        guard index >= 0, index < storage.count else { return nil }
        return unsafe storage[unchecked: index]  // unsafe: index checked just above
    }

    /// A big-endian 16-bit value `index` bytes ahead, if the bytes are there.
    @inlinable
    public func peekUInt16(_ index: Int = 0) -> UInt16? {
        guard index >= 0, index <= storage.count - 2 else { return nil }
        return UInt16(storage[index]) &<< 8 | UInt16(storage[index + 1])
    }

    /// A big-endian 24-bit value `index` bytes ahead, if the bytes are there.
    @inlinable
    public func peekUInt24(_ index: Int = 0) -> UInt32? {
        guard index >= 0, index <= storage.count - 3 else { return nil }
        return UInt32(storage[index]) &<< 16 | UInt32(storage[index + 1]) &<< 8 | UInt32(storage[index + 2])
    }

    /// A big-endian 32-bit value `index` bytes ahead, if the bytes are there.
    @inlinable
    public func peekUInt32(_ index: Int = 0) -> UInt32? {
        guard let high = peekUInt16(index), let low = peekUInt16(index + 2) else { return nil }
        return UInt32(high) &<< 16 | UInt32(low)
    }

    // MARK: Reading integers (big-endian, network order)

    @_lifetime(self: copy self)
    @inlinable
    public mutating func readUInt8() -> UInt8? {
        guard let value = peek() else { return nil }
        advance(1)
        return value
    }

    @_lifetime(self: copy self)
    @inlinable
    public mutating func readUInt16() -> UInt16? {
        guard let value = peekUInt16() else { return nil }
        advance(2)
        return value
    }

    @_lifetime(self: copy self)
    @inlinable
    public mutating func readUInt24() -> UInt32? {
        guard let value = peekUInt24() else { return nil }
        advance(3)
        return value
    }

    @_lifetime(self: copy self)
    @inlinable
    public mutating func readUInt32() -> UInt32? {
        guard let value = peekUInt32() else { return nil }
        advance(4)
        return value
    }

    /// A 32-bit value stored in little-endian order (pcap link headers written by the host).
    @_lifetime(self: copy self)
    @inlinable
    public mutating func readUInt32LittleEndian() -> UInt32? {
        guard let value = peekUInt32() else { return nil }
        advance(4)
        return value.byteSwapped
    }

    // MARK: Skipping and slicing

    /// Consumes `count` bytes; fails (consuming nothing) if fewer remain.
    @_lifetime(self: copy self)
    @inlinable
    public mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, count <= storage.count else { return false }
        advance(count)
        return true
    }

    /// Consumes `count` bytes and returns a cursor over exactly them.
    @_lifetime(copy self)
    @_lifetime(self: copy self)
    @inlinable
    public mutating func read(_ count: Int) -> ByteCursor? {
        guard count >= 0, count <= storage.count else { return nil }
        let child = ByteCursor(storage.extracting(first: count), offset: position)
        advance(count)
        return child
    }

    /// Consumes an 8-bit length and that many bytes, returned as a child cursor.
    @_lifetime(copy self)
    @_lifetime(self: copy self)
    @inlinable
    public mutating func readUInt8LengthPrefixed() -> ByteCursor? {
        guard let length = peek(), Int(length) <= storage.count - 1 else { return nil }
        advance(1)
        return read(Int(length))
    }

    /// Consumes a 16-bit length and that many bytes, returned as a child cursor.
    @_lifetime(copy self)
    @_lifetime(self: copy self)
    @inlinable
    public mutating func readUInt16LengthPrefixed() -> ByteCursor? {
        guard let length = peekUInt16(), Int(length) <= storage.count - 2 else { return nil }
        advance(2)
        return read(Int(length))
    }

    /// Consumes a 24-bit length and that many bytes, returned as a child cursor.
    @_lifetime(copy self)
    @_lifetime(self: copy self)
    @inlinable
    public mutating func readUInt24LengthPrefixed() -> ByteCursor? {
        guard let length = peekUInt24(), Int(length) <= storage.count - 3 else { return nil }
        advance(3)
        return read(Int(length))
    }

    /// Consumes everything left and returns it as a cursor.
    @_lifetime(copy self)
    @_lifetime(self: copy self)
    @inlinable
    public mutating func readRest() -> ByteCursor {
        let child = ByteCursor(storage, offset: position)
        advance(storage.count)
        return child
    }

    /// Drops bytes from the end (e.g. Ethernet padding past an IP datagram's total length).
    @_lifetime(self: copy self)
    @inlinable
    public mutating func truncate(to count: Int) {
        guard count >= 0, count < storage.count else { return }
        storage = storage.extracting(first: count)
    }

    @_lifetime(self: copy self)
    @inlinable @inline(__always)
    mutating func advance(_ count: Int) {
        // unsafe: every caller has checked `0 <= count <= storage.count` just before.
        storage = unsafe storage.extracting(unchecked: count..<storage.count)
        position &+= count
    }
}
