import Wire

/// Accounting of the buffers `carry` and `message` hold, against the memcap: what is charged is
/// their capacity (a buffer is sized once for the record or message it collects), and buffers
/// come from and go back to the worker's `RecordBufferPool`.
extension TLSStreamParser {
    /// Takes from the memcap what `carry` and `message` have grown to; false at the memcap.
    mutating func reserveHeld(_ context: inout SnifferContext) -> Bool {
        let total = carry.capacity + message.capacity
        guard total > reservedBytes else { return true }
        guard context.budget.reserve(total - reservedBytes) else { return false }
        reservedBytes = total
        return true
    }

    /// Gives back to the memcap what `carry` and `message` no longer hold.
    mutating func releaseUnused(budget: inout MemoryBudget) {
        let total = carry.capacity + message.capacity
        if total < reservedBytes {
            budget.release(reservedBytes - total)
            reservedBytes = total
        }
    }

    /// Room in `carry` for `count` more bytes of a record of `total` bytes.
    mutating func reserveCarry(adding count: Int, of total: Int, context: inout SnifferContext) {
        Self.reserve(&carry, adding: count, of: total, pool: &context.buffers)
    }

    /// Room in `message` for `count` more bytes of a handshake message of `total` bytes.
    mutating func reserveMessage(adding count: Int, of total: Int, context: inout SnifferContext) {
        Self.reserve(&message, adding: count, of: total, pool: &context.buffers)
    }

    /// An empty buffer takes a pooled one; without one, what arrived is allocated exactly (a
    /// sender declaring a large record and sending a byte gets a byte's worth), and a buffer
    /// that must grow grows once to the whole record if that is at most double, not by doublings.
    private static func reserve(_ buffer: inout [UInt8], adding count: Int, of total: Int,
                                pool: inout RecordBufferPool) {
        let needed = buffer.count + count
        guard buffer.capacity < needed else { return }
        if buffer.isEmpty, let pooled = pool.take() {
            pool.give(&buffer)
            buffer = pooled
            if buffer.capacity >= needed { return }
        }
        buffer.reserveCapacity(buffer.isEmpty ? needed : max(needed, min(total, 2 * needed)))
    }

    /// `carry` was used up: its buffer goes back to the pool.
    mutating func returnCarryIfEmpty(_ context: inout SnifferContext) {
        guard carry.isEmpty, carry.capacity > 0 else { return }
        context.buffers.give(&carry)
        releaseUnused(budget: &context.budget)
    }

    mutating func clearMessage(_ context: inout SnifferContext) {
        context.buffers.give(&message)
        messageTotal = 0
        releaseUnused(budget: &context.budget)
    }

    mutating func clearBuffers(_ context: inout SnifferContext) {
        context.buffers.give(&carry)
        context.buffers.give(&message)
        messageTotal = 0
        context.budget.release(reservedBytes)
        reservedBytes = 0
    }

    mutating func memcapReached(
        direction: Int, state: inout HandshakeState, context: inout SnifferContext
    ) {
        context.counters.add(.dropReassemblyMemcap)
        if state.role(of: direction) != .client { state.unobservable(.reassemblyMemcap) }
        clearBuffers(&context)
        mode = .done
        state.markDone(direction)
    }
}
