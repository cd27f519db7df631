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

    /// Room in `carry` for a record of `total` bytes: an empty carry takes a pooled buffer.
    mutating func reserveCarry(_ total: Int, context: inout SnifferContext) {
        guard carry.capacity < total else { return }
        if carry.isEmpty {
            context.buffers.give(&carry)
            carry = context.buffers.take(capacity: total)
        } else {
            carry.reserveCapacity(total)
        }
    }

    /// Room in `message` for a handshake message of `total` bytes (as for `carry`).
    mutating func reserveMessage(_ total: Int, context: inout SnifferContext) {
        guard message.capacity < total else { return }
        if message.isEmpty {
            context.buffers.give(&message)
            message = context.buffers.take(capacity: total)
        } else {
            message.reserveCapacity(total)
        }
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
