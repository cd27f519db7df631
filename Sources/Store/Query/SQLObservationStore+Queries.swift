import Certificates
import Detector

/// `mitmwatch history`'s questions, for both SQL stores. A chain's rows from several sensors are
/// one answer (counts summed, first and last seen widened, the sensors listed).
extension SQLObservationStore {
    /// Selects (name, chain) groups; `condition` is the WHERE clause, its parameters after `since`.
    private static func chainsSQL(where condition: String) -> String {
        """
        SELECT names.id, names.name, names.kind, chains.sha256, chains.issuer, chains.issuing_ca,
            MIN(name_chains.first_seen), MAX(name_chains.last_seen), SUM(name_chains.count),
            SUM(name_chains.passive_count), SUM(name_chains.probe_count)
        FROM name_chains JOIN names ON names.id = name_chains.name_id
            JOIN chains ON chains.sha256 = name_chains.chain_sha256
        WHERE name_chains.last_seen >= ? AND (\(condition))
        GROUP BY names.id, names.name, names.kind, chains.sha256, chains.issuer, chains.issuing_ca
        ORDER BY names.name, MIN(name_chains.first_seen), chains.sha256
        """
    }

    public func chains(named name: String, since: Int64?) throws(StoreError) -> [ChainHistory] {
        try chains(where: "names.name = ?", since: since, [.text(name.lowercased())])
    }

    public func chains(issuerContaining text: String, since: Int64?) throws(StoreError) -> [ChainHistory] {
        // LIKE with an escape character, on lower-cased text both sides (PostgreSQL's LIKE is
        // case-sensitive, SQLite's is not for ASCII: lowering both is the same everywhere).
        let escaped = text.lowercased().replacing("\\", with: "\\\\").replacing("%", with: "\\%").replacing("_", with: "\\_")
        return try chains(where: "LOWER(chains.issuer) LIKE ? ESCAPE '\\'", since: since, [.text("%" + escaped + "%")])
    }

    public func chains(caKey key: String, since: Int64?) throws(StoreError) -> [ChainHistory] {
        let lowered = key.lowercased()
        let bare = lowered.hasPrefix("aki:") || lowered.hasPrefix("spki:") ? String(lowered.drop { $0 != ":" }.dropFirst()) : lowered
        let keys = key.hasPrefix("dn:") ? [key] : ["aki:" + bare, "spki:" + bare]
        let spki = CertificateFingerprint(hex: bare)?.digest.bytes ?? []
        return try chains(where: """
            chains.issuing_ca IN (?, ?) OR chains.sha256 IN (SELECT chain_certificates.chain_sha256 FROM chain_certificates
                JOIN certificates ON certificates.sha256 = chain_certificates.certificate_sha256
                WHERE certificates.spki_sha256 = ?)
            """, since: since, [.text(keys[0]), .text(keys.count > 1 ? keys[1] : keys[0]), .bytes(spki)])
    }

    private func chains(where condition: String, since: Int64?, _ parameters: [StoreValue]) throws(StoreError) -> [ChainHistory] {
        var found: [(nameID: Int64, chain: [UInt8], history: ChainHistory)] = []
        let from = since ?? Int64.min
        try select(Self.chainsSQL(where: condition), "read history", [.int(from)] + parameters) { row in
            var observations: [String] = []
            if row.int64(9) > 0 { observations.append("passive") }
            if row.int64(10) > 0 { observations.append("probe") }
            let history = ChainHistory(
                name: row.text(1) ?? "", kind: ObservedName.Kind(rawValue: row.text(2) ?? "") ?? .sni, certificates: [],
                issuer: row.text(4), issuingCA: row.text(5), firstSeen: row.int64(6), lastSeen: row.int64(7),
                count: row.int(8), observations: observations, rules: [], sensors: [])
            found.append((row.int64(0), row.blob(3) ?? [], history))
        }
        return try found.map { entry throws(StoreError) in
            var history = entry.history
            history.certificates = try certificates(ofChain: entry.chain)
            history.rules = try rules(nameID: entry.nameID, chain: entry.chain)
            history.sensors = try sensors(nameID: entry.nameID, chain: entry.chain, since: from)
            return history
        }
    }

    private func certificates(ofChain chain: [UInt8]) throws(StoreError) -> [CertificateFingerprint] {
        var list: [CertificateFingerprint] = []
        try select("SELECT certificate_sha256 FROM chain_certificates WHERE chain_sha256 = ? ORDER BY position", "read history",
                   [.bytes(chain)]) { row in
            if let fingerprint = row.blob(0).flatMap(CertificateFingerprint.init(bytes:)) { list.append(fingerprint) }
        }
        return list
    }

    /// The rule ids that fired on a name's chain, in the rules' order (unknown ids after, sorted).
    private func rules(nameID: Int64, chain: [UInt8]) throws(StoreError) -> [String] {
        var ids: Set<String> = []
        try select("""
            SELECT DISTINCT name_chain_rules.rule FROM name_chain_rules
                JOIN name_chains ON name_chains.id = name_chain_rules.name_chain_id
            WHERE name_chains.name_id = ? AND name_chains.chain_sha256 = ?
            """, "read history", [.int(nameID), .bytes(chain)]) { row in
            if let rule = row.text(0) { ids.insert(rule) }
        }
        let known = Rule.allCases.map(\.rawValue).filter { ids.contains($0) }
        return known + ids.subtracting(known).sorted()
    }

    /// The sensors that saw a name's chain (last seen at or after `since`), sorted.
    private func sensors(nameID: Int64, chain: [UInt8], since: Int64) throws(StoreError) -> [String] {
        var sensors: [String] = []
        try select("""
            SELECT DISTINCT sensor FROM name_chains WHERE name_id = ? AND chain_sha256 = ? AND last_seen >= ?
            """, "read history", [.int(nameID), .bytes(chain), .int(since)]) { row in
            if let sensor = row.text(0) { sensors.append(sensor) }
        }
        return sensors.sorted()
    }

    public func issuerChanges(since: Int64?) throws(StoreError) -> [IssuerChange] {
        var changes: [IssuerChange] = []
        try select("""
            SELECT names.id, names.name, names.kind, chains.issuing_ca, MIN(chains.issuer),
                MIN(name_chains.first_seen), MAX(name_chains.last_seen), SUM(name_chains.count)
            FROM name_chains JOIN names ON names.id = name_chains.name_id
                JOIN chains ON chains.sha256 = name_chains.chain_sha256
            WHERE chains.issuing_ca IS NOT NULL AND names.id IN (
                SELECT name_chains.name_id FROM name_chains JOIN chains ON chains.sha256 = name_chains.chain_sha256
                WHERE chains.issuing_ca IS NOT NULL GROUP BY name_chains.name_id HAVING COUNT(DISTINCT chains.issuing_ca) > 1)
            GROUP BY names.id, names.name, names.kind, chains.issuing_ca
            ORDER BY names.name, names.id, MIN(name_chains.first_seen), chains.issuing_ca
            """, "read issuer changes", []) { row in
            let issuing = IssuerChange.Issuing(key: row.text(3) ?? "", issuer: row.text(4), firstSeen: row.int64(5),
                                               lastSeen: row.int64(6), count: row.int(7))
            let name = row.text(1) ?? ""
            if let last = changes.last, last.name == name, last.kind.rawValue == row.text(2) {
                changes[changes.count - 1].issuingCAs.append(issuing)
            } else {
                changes.append(IssuerChange(name: name, kind: ObservedName.Kind(rawValue: row.text(2) ?? "") ?? .sni,
                                            issuingCAs: [issuing]))
            }
        }
        guard let since else { return changes }
        // A change since `since`: a key other than the name's first appeared then or later.
        return changes.filter { change in change.issuingCAs.dropFirst().contains { $0.firstSeen >= since } }
    }
}
