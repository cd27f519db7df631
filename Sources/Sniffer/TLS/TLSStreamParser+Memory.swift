import Wire

/// Accounting of the bytes `carry` and `message` hold, against the memcap.
extension TLSStreamParser {
    mutating func reserveCarry<Observer>(_ context: inout SnifferContext<Observer>) -> Bool {
        reserve(to: carry.count + message.count, &context)
    }

    mutating func reserveMessage<Observer>(_ context: inout SnifferContext<Observer>) -> Bool {
        reserve(to: carry.count + message.count, &context)
    }

    mutating func reserve<Observer>(to total: Int, _ context: inout SnifferContext<Observer>) -> Bool {
        guard total > reservedBytes else { return true }
        guard context.budget.reserve(total - reservedBytes) else { return false }
        reservedBytes = total
        return true
    }

    mutating func releaseCarry<Observer>(_ context: inout SnifferContext<Observer>) {
        let total = carry.count + message.count
        if total < reservedBytes {
            context.budget.release(reservedBytes - total)
            reservedBytes = total
        }
    }

    mutating func clearMessage(budget: inout MemoryBudget) {
        message = []
        messageTotal = 0
        let total = carry.count
        if total < reservedBytes {
            budget.release(reservedBytes - total)
            reservedBytes = total
        }
    }

    mutating func clearBuffers(budget: inout MemoryBudget) {
        carry = []
        message = []
        messageTotal = 0
        budget.release(reservedBytes)
        reservedBytes = 0
    }

    mutating func memcapReached<Observer>(
        direction: Int, state: inout HandshakeState, context: inout SnifferContext<Observer>
    ) {
        context.counters.add(.dropReassemblyMemcap)
        if state.role(of: direction) != .client { state.unobservable(.reassemblyMemcap) }
        clearBuffers(budget: &context.budget)
        mode = .done
        state.markDone(direction)
    }
}
