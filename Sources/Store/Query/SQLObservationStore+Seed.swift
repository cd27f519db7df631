import Detector

/// What the history rules need of the store at start: each recently seen name's issuing CA keys
/// and ServerHello profiles, as a `NameHistory` (the rules keep their histories in memory; the
/// store is what survives a restart).
extension SQLObservationStore {
    /// The `limit` names seen most recently (over every sensor), each with its history.
    public func nameHistories(limit: Int) throws(StoreError) -> [String: NameHistory] {
        var histories: [String: NameHistory] = [:]
        let recent = """
            SELECT name_id FROM (SELECT name_id, MAX(last_seen) AS seen FROM name_chains GROUP BY name_id
                UNION ALL SELECT name_id, MAX(last_seen) FROM profiles GROUP BY name_id) AS recent
            GROUP BY name_id ORDER BY MAX(seen) DESC LIMIT ?
            """
        try select("""
            SELECT names.name, chains.issuing_ca, MIN(name_chains.first_seen), MAX(name_chains.last_seen), SUM(name_chains.count)
            FROM name_chains JOIN names ON names.id = name_chains.name_id JOIN chains ON chains.sha256 = name_chains.chain_sha256
            WHERE chains.issuing_ca IS NOT NULL AND names.id IN (\(recent))
            GROUP BY names.id, names.name, chains.issuing_ca
            """, "read the names' issuing CAs", [.int(limit)]) { row in
            guard let name = row.text(0), let key = row.text(1) else { return }
            guard let issuer = NameHistory.Issuer(key: key, firstSeen: Double(row.int64(2)), lastSeen: Double(row.int64(3)),
                                                  count: row.int(4)) else { return }
            histories[name, default: NameHistory()].issuers.append(issuer)
        }
        try select("""
            SELECT names.name, profiles.version, profiles.cipher_suite, profiles.key_share_group, profiles.extension_types,
                profiles.alpn, profiles.client_offered_tls13, profiles.client_offered_mlkem, profiles.observation,
                MIN(profiles.first_seen), MAX(profiles.last_seen), SUM(profiles.count)
            FROM profiles JOIN names ON names.id = profiles.name_id
            WHERE names.id IN (\(recent))
            GROUP BY names.id, names.name, profiles.version, profiles.cipher_suite, profiles.key_share_group,
                profiles.extension_types, profiles.alpn, profiles.client_offered_tls13, profiles.client_offered_mlkem,
                profiles.observation
            """, "read the names' ServerHello profiles", [.int(limit)]) { row in
            guard let name = row.text(0) else { return }
            let group = row.int64(3)
            let profile = ServerProfile(
                version: UInt16(truncatingIfNeeded: row.int64(1)), cipherSuite: UInt16(truncatingIfNeeded: row.int64(2)),
                group: group < 0 ? nil : UInt16(truncatingIfNeeded: group),
                extensionTypes: (row.text(4) ?? "").split(separator: ",").compactMap { UInt16($0) },
                alpn: row.text(5).flatMap { $0.isEmpty ? nil : $0 })
            let offer = ClientOffer(tls13: row.int64(6) != 0, postQuantum: row.int64(7) != 0)
            let count = row.int(11)
            var history = histories[name] ?? NameHistory()
            history.seed(profile, offer: offer, observation: row.text(8) == "probe" ? .probe : .passive,
                         firstSeen: Double(row.int64(9)), lastSeen: Double(row.int64(10)), count: count)
            histories[name] = history
        }
        for (name, history) in histories where history.issuers.count > NameHistory.maxIssuers {
            var trimmed = history
            trimmed.issuers = Array(history.issuers.sorted { $0.count > $1.count }.prefix(NameHistory.maxIssuers))
            trimmed.issuersOverflowed = true
            histories[name] = trimmed
        }
        return histories
    }
}

extension SQLObservationStore {
    public func dedupEntries(sensor: String) throws(StoreError) -> [DedupEntry] {
        var entries: [DedupEntry] = []
        try select(StoreStatements.selectDedup, "read the alert deduplication state", [.text(sensor)]) {
            entries.append(DedupEntry(key: $0.text(0) ?? "", lastEmittedNanoseconds: $0.int64(1), suppressed: $0.int(2)))
        }
        return entries
    }
}
