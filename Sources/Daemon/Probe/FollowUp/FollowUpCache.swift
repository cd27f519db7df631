import Sniffer

/// What a follow-up probe connects to: the passive session's server address, port and SNI.
struct FollowUpKey: Hashable, Sendable, CustomStringConvertible {
    var server: Endpoint
    var serverName: String?

    var description: String { server.description + (serverName.map { " (\($0))" } ?? " (no SNI)") }
}

/// `probe.cache_seconds`: servers probed recently, so each (server, SNI) is probed at most once
/// per period. Bounded: when `capacity` keys are remembered, the one probed longest ago is
/// forgotten first (it may then be probed again early — never more often than the rate limit).
struct FollowUpCache {
    private(set) var capacity: Int
    private var probedAt: [FollowUpKey: Double] = [:]
    /// Keys in the order they were probed (entries superseded by a later probe are skipped).
    private var order: [(key: FollowUpKey, at: Double)] = []
    private var head = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { probedAt.count }

    /// Whether `key` was probed less than `seconds` before `now`.
    func isFresh(_ key: FollowUpKey, now: Double, seconds: Double) -> Bool {
        probedAt[key].map { now - $0 < seconds } ?? false
    }

    /// Remembers that `key` is probed at `now`; forgets what is older than `seconds`, then the
    /// oldest while over capacity.
    mutating func record(_ key: FollowUpKey, now: Double, seconds: Double) {
        probedAt[key] = now
        order.append((key, now))
        while head < order.count {
            let entry = order[head]
            let current = probedAt[entry.key]
            if current != entry.at {
                head += 1  // superseded: the key was probed again later
            } else if now - entry.at >= seconds || probedAt.count > capacity {
                probedAt[entry.key] = nil
                head += 1
            } else {
                break
            }
        }
        if head > 1024 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
