import Wire

/// Accounting of the bytes `carry` and `message` hold, against the memcap.
extension TLSStreamParser {
    /// Takes from the memcap what `carry` and `message` have grown to; false at the memcap.
    mutating func reserveHeld(_ context: inout SnifferContext) -> Bool {
        let total = carry.count + message.count
        guard total > reservedBytes else { return true }
        guard context.budget.reserve(total - reservedBytes) else { return false }
        reservedBytes = total
        return true
    }

    /// Gives back to the memcap what `carry` and `message` no longer hold.
    mutating func releaseUnused(budget: inout MemoryBudget) {
        let total = carry.count + message.count
        if total < reservedBytes {
            budget.release(reservedBytes - total)
            reservedBytes = total
        }
    }

    mutating func clearMessage(budget: inout MemoryBudget) {
        message = []
        messageTotal = 0
        releaseUnused(budget: &budget)
    }

    mutating func clearBuffers(budget: inout MemoryBudget) {
        carry = []
        message = []
        messageTotal = 0
        budget.release(reservedBytes)
        reservedBytes = 0
    }

    mutating func memcapReached(
        direction: Int, state: inout HandshakeState, context: inout SnifferContext
    ) {
        context.counters.add(.dropReassemblyMemcap)
        if state.role(of: direction) != .client { state.unobservable(.reassemblyMemcap) }
        clearBuffers(budget: &context.budget)
        mode = .done
        state.markDone(direction)
    }
}
