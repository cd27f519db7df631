/// Byte buffers for partial TLS records and handshake messages, reused from flow to flow (one
/// pool per worker): a record cut by a segment boundary is collected in a pooled buffer, which
/// goes back here when the record has been parsed, so a handshake in steady state allocates
/// none. While a flow holds a buffer its capacity is charged to the memcap; the pool itself is
/// bounded (`maxBuffers` of at most `maxCapacity`).
struct RecordBufferPool {
    private var free: [[UInt8]] = []
    /// A TLS record is at most 5 + 2^14 + 2,048 bytes; larger buffers (handshake messages of
    /// hundreds of KiB) are freed rather than kept.
    static let maxCapacity = 20 << 10
    static let maxBuffers = 64

    /// Bytes of the buffers waiting here.
    private(set) var bytes = 0

    /// An empty buffer from the pool, if it has one.
    mutating func take() -> [UInt8]? {
        guard let buffer = free.popLast() else { return nil }
        bytes -= buffer.capacity
        return buffer
    }

    /// Takes `buffer` back (emptied), leaving `[]` in its place.
    mutating func give(_ buffer: inout [UInt8]) {
        var taken: [UInt8] = []
        swap(&taken, &buffer)
        guard taken.capacity > 0, taken.capacity <= Self.maxCapacity, free.count < Self.maxBuffers else { return }
        taken.removeAll(keepingCapacity: true)
        guard taken.capacity > 0 else { return }  // it was shared: removing made a new empty array
        bytes += taken.capacity
        free.append(taken)
    }
}
