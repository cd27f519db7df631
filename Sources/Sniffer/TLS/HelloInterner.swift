import Wire

/// The parts of ClientHellos that repeat from connection to connection — the cipher suite list,
/// the ALPN list, the server name — made once and shared (one per worker): clients of the same
/// software send the same lists, and the same names come back. A hit is confirmed against the
/// bytes being parsed, so a hash collision only costs a fresh value. Bounded: each table is
/// cleared when full, and only short values are kept.
struct HelloInterner {
    private var suites: [UInt64: [UInt16]] = [:]
    private var protocols: [UInt64: [String]] = [:]
    private var names: [UInt64: String] = [:]
    private let seed = UInt64.random(in: .min ... .max)
    static let capacity = 4096
    /// Longest list (bytes on the wire) and name kept.
    static let maxBytes = 512

    /// The cipher suites of `list` (a ClientHello's, length prefix removed), GREASE removed.
    mutating func cipherSuites(_ list: ByteCursor) -> [UInt16] {
        let key = FastHash.hash(list.bytes, seed: seed)
        if let known = suites[key], Self.same(known, list) { return known }
        var fresh: [UInt16] = []
        fresh.reserveCapacity(list.remaining / 2)  // sized once from the length prefix
        var entries = list
        while let suite = entries.readUInt16() {
            if !TLSVersion(rawValue: suite).isGREASE { fresh.append(suite) }
        }
        if list.remaining <= Self.maxBytes { store(fresh, key, in: &suites) }
        return fresh
    }

    /// The protocol names of an ALPN `list` (length prefix removed), at most `limit`.
    mutating func protocolNames(_ list: ByteCursor, limit: Int) -> [String] {
        let key = FastHash.hash(list.bytes, seed: seed)
        if let known = protocols[key], Self.same(known, list, limit: limit) { return known }
        var count = 0
        var counting = list
        while count < limit, counting.readUInt8LengthPrefixed() != nil { count += 1 }
        var fresh: [String] = []
        fresh.reserveCapacity(count)
        var entries = list
        while let name = entries.readUInt8LengthPrefixed(), fresh.count < limit { fresh.append(name.utf8String) }
        if list.remaining <= Self.maxBytes { store(fresh, key, in: &protocols) }
        return fresh
    }

    /// The server name in `bytes` (invalid UTF-8 repaired, as `utf8String` does).
    mutating func serverName(_ bytes: ByteCursor) -> String {
        // Up to 15 bytes a string is held inline: nothing to share.
        guard bytes.remaining > 15, bytes.remaining <= Self.maxBytes else { return bytes.utf8String }
        let key = FastHash.hash(bytes.bytes, seed: seed)
        if let known = names[key], Self.same(known, bytes) { return known }
        let fresh = bytes.utf8String
        // A repaired name differs from its bytes and would never be confirmed: not kept.
        if Self.same(fresh, bytes) { store(fresh, key, in: &names) }
        return fresh
    }

    private func store<Value>(_ value: Value, _ key: UInt64, in table: inout [UInt64: Value]) {
        if table.count >= Self.capacity { table.removeAll(keepingCapacity: true) }
        table[key] = value
    }

    private static func same(_ known: [UInt16], _ list: ByteCursor) -> Bool {
        var entries = list
        var index = 0
        while let suite = entries.readUInt16() {
            if TLSVersion(rawValue: suite).isGREASE { continue }
            guard index < known.count, known[index] == suite else { return false }
            index += 1
        }
        return index == known.count
    }

    private static func same(_ known: [String], _ list: ByteCursor, limit: Int) -> Bool {
        var entries = list
        var index = 0
        while let name = entries.readUInt8LengthPrefixed(), index < limit {
            guard index < known.count, same(known[index], name) else { return false }
            index += 1
        }
        return index == known.count
    }

    private static func same(_ known: String, _ bytes: ByteCursor) -> Bool {
        var index = 0
        for byte in known.utf8 {
            guard index < bytes.remaining, bytes.peek(index) == byte else { return false }
            index += 1
        }
        return index == bytes.remaining
    }
}
