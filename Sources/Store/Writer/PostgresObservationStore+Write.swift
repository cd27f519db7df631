import Foundation

/// A batch as the SQLite store writes it (`StoreStatements`), in one transaction. Several daemons
/// write the same rows: the UPSERTs wait for each other's row locks, taken table by table in one
/// order (names, certificates, chains, each name's chains, profiles; each sorted by its key) so
/// that two writers do not deadlock; a transaction that still loses a race (deadlock,
/// serialization, a unique key) is run again, a few times, after a short pause.
extension PostgresObservationStore {
    static let contentionAttempts = 8

    public func write(_ batch: StoreBatch, sensor: String) throws(StoreError) {
        var attempt = 1
        while true {
            do {
                try transaction("write a batch") { () throws(StoreError) in try writeRows(batch, sensor: sensor) }
                return
            } catch where error.isBusy && attempt < Self.contentionAttempts {
                // Jittered, so two writers that deadlocked do not meet again at once.
                Thread.sleep(forTimeInterval: Double.random(in: 0.01...0.05) * Double(attempt))
                attempt += 1
            }
        }
    }

    private func writeRows(_ batch: StoreBatch, sensor: String) throws(StoreError) {
        var nameIDs: [ObservedName: Int64] = [:]
        let names = Set(batch.chains.map(\.name) + batch.profiles.map(\.name))
        for name in names.sorted(by: { ($0.name, $0.kind.rawValue) < ($1.name, $1.kind.rawValue) }) {
            _ = try id(of: name, cache: &nameIDs)
        }
        for certificate in batch.certificates.sorted(by: { $0.sha256.digest.bytes.lexicographicallyPrecedes($1.sha256.digest.bytes) }) {
            try execute(StoreStatements.insertCertificate, "write a certificate", [
                .bytes(certificate.sha256.digest.bytes), .bytes(certificate.der), .text(certificate.subject),
                .text(certificate.issuer), certificate.notBefore.map { .int($0) } ?? .null,
                certificate.notAfter.map { .int($0) } ?? .null, .bytes(certificate.spkiSHA256?.digest.bytes),
                certificate.isCA.map { .int($0 ? 1 : 0) } ?? .null,
            ])
        }
        let chains = batch.chains.map { (digest: hasher.chainDigest($0.certificates), chain: $0) }
        var listed: Set<[UInt8]> = []
        for (digest, chain) in chains.sorted(by: { $0.digest.lexicographicallyPrecedes($1.digest) }) {
            try execute(StoreStatements.upsertChain, "write a chain", [
                .bytes(digest), .bytes(chain.certificates.first?.digest.bytes ?? []), .int(chain.certificates.count),
                .text(chain.issuer), .text(chain.issuingCA),
            ])
            // Another sensor's retention may have removed the chain's list: always (re)stated.
            guard listed.insert(digest).inserted else { continue }
            for (position, certificate) in chain.certificates.enumerated() {
                try execute(StoreStatements.insertChainCertificate, "write a chain",
                            [.bytes(digest), .int(position), .bytes(certificate.digest.bytes)])
            }
        }
        for (digest, chain) in chains.sorted(by: { ($0.chain.name.name, $0.chain.name.kind.rawValue) < ($1.chain.name.name, $1.chain.name.kind.rawValue)
                || ($0.chain.name == $1.chain.name && $0.digest.lexicographicallyPrecedes($1.digest)) }) {
            let nameID = try id(of: chain.name, cache: &nameIDs)
            var rowID: Int64 = 0
            try select(StoreStatements.upsertNameChain, "write a chain", [
                .int(nameID), .bytes(digest), .text(sensor), .int(chain.firstSeen), .int(chain.lastSeen),
                .int(chain.count), .int(chain.passiveCount), .int(chain.probeCount),
            ]) { rowID = $0.int64(0) }
            for rule in chain.rules {
                try execute(StoreStatements.insertRule, "write a chain", [.int(rowID), .text(rule)])
            }
        }
        for profile in batch.profiles.sorted(by: { ($0.name.name, $0.name.kind.rawValue) < ($1.name.name, $1.name.kind.rawValue) }) {
            let nameID = try id(of: profile.name, cache: &nameIDs)
            let key = profile.key
            try execute(StoreStatements.upsertProfile, "write a ServerHello profile", [
                .int(nameID), .text(sensor), .int(Int(key.version)), .int(Int(key.cipherSuite)),
                .int(key.keyShareGroup.map(Int.init) ?? -1), .text(key.extensionTypesText), .text(key.alpn ?? ""),
                .int(key.clientOfferedTLS13 ? 1 : 0), .int(key.clientOfferedMLKEM ? 1 : 0), .text(key.observation),
                .int(profile.firstSeen), .int(profile.lastSeen), .int(profile.count),
            ])
        }
        if let dedup = batch.dedup {
            try execute(StoreStatements.deleteDedup, "save the alert deduplication state", [.text(sensor)])
            for entry in dedup {
                try execute(StoreStatements.insertDedup, "save the alert deduplication state",
                            [.text(sensor), .text(entry.key), .int(entry.lastEmittedNanoseconds), .int(entry.suppressed)])
            }
        }
    }

    private func id(of name: ObservedName, cache: inout [ObservedName: Int64]) throws(StoreError) -> Int64 {
        if let id = cache[name] { return id }
        var id: Int64 = 0
        try select(StoreStatements.upsertName, "write a name", [.text(name.name), .text(name.kind.rawValue)]) { id = $0.int64(0) }
        cache[name] = id
        return id
    }
}

/// Retention and the size cap (`SQLStoreMaintenance`). The size is the rows' bytes
/// (`pg_column_size`), not the tables' files: PostgreSQL keeps deleted rows' space for reuse
/// (autovacuum), so the files would never shrink below the cap.
extension PostgresObservationStore: SQLStoreMaintenance {
    public func removeHistory(lastSeenBefore cutoff: Int64) throws(StoreError) -> Int {
        try deleteHistory(lastSeenBefore: cutoff)
    }

    public func shrink(toBytes maxBytes: Int64) throws(StoreError) -> Int {
        try deleteOldest(toBytes: maxBytes)
    }

    func change(_ sql: String, _ operation: String, _ parameters: [StoreValue]) throws(StoreError) -> Int {
        try execute(sql, operation, parameters).changes
    }

    func removeUnreferenced() throws(StoreError) {
        for sql in StoreStatements.removeUnreferenced { try run(sql, "remove unreferenced history") }
    }

    public func usedBytes() throws(StoreError) -> Int64 {
        let sums = StoreSchema.tables.map { "(SELECT COALESCE(SUM(pg_column_size(t.*)), 0) FROM \($0) AS t)" }
        var bytes: Int64 = 0
        try select("SELECT " + sums.joined(separator: " + "), "measure the store", []) { bytes = $0.int64(0) }
        return bytes
    }
}
