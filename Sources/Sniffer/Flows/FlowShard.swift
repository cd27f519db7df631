/// One worker's share of the flows when several workers read the same input (`mitmwatch read` on
/// a multi-core machine): each worker decodes every frame and keeps the flows this shard owns.
/// The share is decided on the TCP segment as decoded — after tunnels are opened and IP fragments
/// reassembled — by a hash of the direction-independent flow key, so both directions of a
/// connection, and every fragment of it, meet in the same worker.
public struct FlowShard: Sendable, Equatable {
    public let index: Int
    public let count: Int
    /// Keys the hash; the same for every worker of one run. A sender who could predict it could
    /// only put all flows in one shard, which costs speed, never correctness.
    let seed: (UInt64, UInt64)

    public init(index: Int, of count: Int, seed: (UInt64, UInt64)) {
        precondition(count >= 1 && (0..<count).contains(index), "shard \(index) of \(count)")
        self.index = index
        self.count = count
        self.seed = seed
    }

    func owns(_ key: FlowKey) -> Bool {
        count == 1 || Int(key.hash(key: seed) % UInt64(count)) == index
    }

    public static func == (a: FlowShard, b: FlowShard) -> Bool {
        a.index == b.index && a.count == b.count && a.seed == b.seed
    }
}
