import Synchronization

/// The histories of the names seen, shared by every thread that judges sessions (capture
/// workers, the prober): each session is judged against its name's history, then recorded in it,
/// under one short lock. Seeded from the observation store at start, so a restart keeps what
/// was learnt; the store keeps the full record, this only what the rules read.
///
/// Bounded: two generations of at most `capacity` names each. When the current one is full the
/// older is dropped (its names counted as forgotten) — a name seen within the last generation is
/// promoted on its next session — so memory stays at most 2 × capacity histories (a few hundred
/// bytes each) however many names a gateway's users visit. A forgotten name starts unsettled:
/// the history rules stay quiet on it until it has settled again (fail quiet, never loud).
public final class HistoryBook: Sendable {
    private struct Generations {
        var current: [String: NameHistory] = [:]
        var previous: [String: NameHistory] = [:]
        var caKeys = CAKeys()
        var forgottenNames = 0
    }

    public let capacity: Int
    private let state = Mutex(Generations())

    public init(capacity: Int = 100_000) { self.capacity = max(1, capacity) }

    /// Runs `body` on the name's history (a new one when unknown) under the lock, in place.
    func update<Result>(_ name: String, _ body: (inout NameHistory, inout CAKeys) -> Result) -> Result {
        state.withLock { state in
            if state.current[name] == nil {
                let promoted = state.previous.removeValue(forKey: name) ?? NameHistory()
                if state.current.count >= capacity {
                    state.forgottenNames += state.previous.count
                    state.previous = state.current
                    state.current = [:]
                }
                state.current[name] = promoted
            }
            let result = body(&state.current[name]!, &state.caKeys)
            state.caKeys.rotate(at: capacity)
            return result
        }
    }

    /// A history loaded from the store (at start): kept unless the name was seen since.
    public func seed(_ name: String, _ history: NameHistory) {
        state.withLock { state in
            guard state.current[name] == nil, state.previous[name] == nil, state.current.count < capacity else { return }
            state.current[name] = history
            for issuer in history.issuers { state.caKeys.insert(issuer.ca) }
        }
    }

    public func history(of name: String) -> NameHistory? {
        state.withLock { $0.current[name] ?? $0.previous[name] }
    }

    public struct Counts: Sendable, Equatable {
        public var names: Int
        public var forgottenNames: Int
    }

    public var counts: Counts {
        state.withLock { Counts(names: $0.current.count + $0.previous.count, forgottenNames: $0.forgottenNames) }
    }
}

/// The issuing CAs that served any name here (for `issuer-change`'s "CA new here"), in two
/// generations like the names.
struct CAKeys {
    var current: Set<IssuingCA> = []
    var previous: Set<IssuingCA> = []

    func contains(_ key: IssuingCA) -> Bool { current.contains(key) || previous.contains(key) }
    mutating func insert(_ key: IssuingCA) { if !current.contains(key) && !previous.contains(key) { current.insert(key) } }

    mutating func rotate(at capacity: Int) {
        guard current.count >= capacity else { return }
        previous = current
        current = []
    }
}
