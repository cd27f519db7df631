import Certificates
import OpenSSLBridge

/// A batch as UPSERTs (`INSERT … ON CONFLICT … DO UPDATE`, which PostgreSQL spells the same):
/// counts add up, first and last seen widen, rule ids are a union, a chain's issuer is filled in
/// when a later report carries the parsed leaf.
extension SQLiteObservationStore {
    public func write(_ batch: StoreBatch, sensor: String) throws(StoreError) {
        var written: Set<[UInt8]> = []
        try transaction("write a batch") { () throws(StoreError) in
            var nameIDs: [ObservedName: Int64] = [:]
            for certificate in batch.certificates { try insert(certificate) }
            for chain in batch.chains {
                let nameID = try id(of: chain.name, cache: &nameIDs)
                let digest = chainDigest(chain.certificates)
                try upsert(chain, digest: digest, nameID: nameID, sensor: sensor,
                           listed: knownChains.contains(digest) || written.contains(digest))
                written.insert(digest)
            }
            for profile in batch.profiles {
                let nameID = try id(of: profile.name, cache: &nameIDs)
                try upsert(profile, nameID: nameID, sensor: sensor)
            }
            if let dedup = batch.dedup { try replaceDedup(dedup) }
        }
        if knownChains.count + written.count > Self.knownChainsCapacity { knownChains.removeAll() }
        knownChains.formUnion(written)  // committed
    }

    private func id(of name: ObservedName, cache: inout [ObservedName: Int64]) throws(StoreError) -> Int64 {
        if let id = cache[name] { return id }
        var id: Int64 = 0
        // DO UPDATE (a no-op) rather than DO NOTHING, so RETURNING gives the existing row's id too.
        try query("INSERT INTO names (name, kind) VALUES (?, ?) ON CONFLICT (name, kind) DO UPDATE SET name = excluded.name RETURNING id",
                  "write a name", bind: { s throws(SQLiteError) in
                      try s.bind(name.name, at: 1)
                      try s.bind(name.kind.rawValue, at: 2)
                  }, row: { id = $0.int64(0) })
        cache[name] = id
        return id
    }

    private func insert(_ certificate: StoredCertificate) throws(StoreError) {
        try query("""
            INSERT INTO certificates (sha256, der, subject, issuer, not_before, not_after, spki_sha256, is_ca)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING
            """, "write a certificate", bind: { s throws(SQLiteError) in
                try s.bind(certificate.sha256.digest.bytes, at: 1)
                try s.bind(certificate.der, at: 2)
                try s.bind(certificate.subject, at: 3)
                try s.bind(certificate.issuer, at: 4)
                try s.bind(certificate.notBefore, at: 5)
                try s.bind(certificate.notAfter, at: 6)
                try s.bind(certificate.spkiSHA256?.digest.bytes, at: 7)
                try s.bind(certificate.isCA.map { $0 ? Int64(1) : 0 }, at: 8)
            }, row: { _ in })
    }

    /// `listed`: the chain's certificate list is known to be stored already.
    /// SHA-256 over the certificates' SHA-256 concatenated, leaf first: the chain's identity
    /// (computed here, on the writer's thread, not where reports are folded in).
    func chainDigest(_ certificates: [CertificateFingerprint]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32 * certificates.count)
        for certificate in certificates { bytes.append(contentsOf: certificate.digest.bytes) }
        return hasher.hash(bytes.span).bytes
    }

    private func upsert(_ chain: ChainObservation, digest: [UInt8], nameID: Int64, sensor: String, listed: Bool) throws(StoreError) {
        try query("""
            INSERT INTO chains (sha256, leaf_sha256, length, issuer, issuing_ca) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (sha256) DO UPDATE SET issuer = COALESCE(chains.issuer, excluded.issuer),
                issuing_ca = COALESCE(chains.issuing_ca, excluded.issuing_ca)
            """, "write a chain", bind: { s throws(SQLiteError) in
                try s.bind(digest, at: 1)
                try s.bind(chain.certificates.first?.digest.bytes ?? [], at: 2)
                try s.bind(chain.certificates.count, at: 3)
                try s.bind(chain.issuer, at: 4)
                try s.bind(chain.issuingCA, at: 5)
            }, row: { _ in })
        for (position, certificate) in chain.certificates.enumerated() where !listed {
            try query("""
                INSERT INTO chain_certificates (chain_sha256, position, certificate_sha256) VALUES (?, ?, ?)
                ON CONFLICT (chain_sha256, position) DO NOTHING
                """, "write a chain", bind: { s throws(SQLiteError) in
                    try s.bind(digest, at: 1)
                    try s.bind(position, at: 2)
                    try s.bind(certificate.digest.bytes, at: 3)
                }, row: { _ in })
        }
        var rowID: Int64 = 0
        try query("""
            INSERT INTO name_chains (name_id, chain_sha256, sensor, first_seen, last_seen, count, passive_count, probe_count)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (name_id, chain_sha256, sensor) DO UPDATE SET
                first_seen = CASE WHEN excluded.first_seen < name_chains.first_seen THEN excluded.first_seen ELSE name_chains.first_seen END,
                last_seen = CASE WHEN excluded.last_seen > name_chains.last_seen THEN excluded.last_seen ELSE name_chains.last_seen END,
                count = name_chains.count + excluded.count,
                passive_count = name_chains.passive_count + excluded.passive_count,
                probe_count = name_chains.probe_count + excluded.probe_count
            RETURNING id
            """, "write a chain", bind: { s throws(SQLiteError) in
                try s.bind(nameID, at: 1)
                try s.bind(digest, at: 2)
                try s.bind(sensor, at: 3)
                try s.bind(chain.firstSeen, at: 4)
                try s.bind(chain.lastSeen, at: 5)
                try s.bind(chain.count, at: 6)
                try s.bind(chain.passiveCount, at: 7)
                try s.bind(chain.probeCount, at: 8)
            }, row: { rowID = $0.int64(0) })
        for rule in chain.rules {
            try query("INSERT INTO name_chain_rules (name_chain_id, rule) VALUES (?, ?) ON CONFLICT (name_chain_id, rule) DO NOTHING",
                      "write a chain", bind: { s throws(SQLiteError) in
                          try s.bind(rowID, at: 1)
                          try s.bind(rule, at: 2)
                      }, row: { _ in })
        }
    }

    private func upsert(_ profile: ProfileObservation, nameID: Int64, sensor: String) throws(StoreError) {
        let key = profile.key
        try query("""
            INSERT INTO profiles (name_id, sensor, version, cipher_suite, key_share_group, extension_types, alpn,
                client_offered_tls13, client_offered_mlkem, observation, first_seen, last_seen, count)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (name_id, sensor, version, cipher_suite, key_share_group, extension_types, alpn,
                client_offered_tls13, client_offered_mlkem, observation) DO UPDATE SET
                first_seen = CASE WHEN excluded.first_seen < profiles.first_seen THEN excluded.first_seen ELSE profiles.first_seen END,
                last_seen = CASE WHEN excluded.last_seen > profiles.last_seen THEN excluded.last_seen ELSE profiles.last_seen END,
                count = profiles.count + excluded.count
            """, "write a ServerHello profile", bind: { s throws(SQLiteError) in
                try s.bind(nameID, at: 1)
                try s.bind(sensor, at: 2)
                try s.bind(Int(key.version), at: 3)
                try s.bind(Int(key.cipherSuite), at: 4)
                try s.bind(key.keyShareGroup.map(Int.init) ?? -1, at: 5)
                try s.bind(key.extensionTypesText, at: 6)
                try s.bind(key.alpn ?? "", at: 7)
                try s.bind(key.clientOfferedTLS13 ? 1 : 0, at: 8)
                try s.bind(key.clientOfferedMLKEM ? 1 : 0, at: 9)
                try s.bind(key.observation, at: 10)
                try s.bind(profile.firstSeen, at: 11)
                try s.bind(profile.lastSeen, at: 12)
                try s.bind(profile.count, at: 13)
            }, row: { _ in })
    }

    private func replaceDedup(_ entries: [DedupEntry]) throws(StoreError) {
        try run("DELETE FROM alert_dedup", "save the alert deduplication state")
        for entry in entries {
            try query("INSERT INTO alert_dedup (key, last_emitted_ns, suppressed) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
                      "save the alert deduplication state", bind: { s throws(SQLiteError) in
                          try s.bind(entry.key, at: 1)
                          try s.bind(entry.lastEmittedNanoseconds, at: 2)
                          try s.bind(entry.suppressed, at: 3)
                      }, row: { _ in })
        }
    }

    public func dedupEntries() throws(StoreError) -> [DedupEntry] {
        var entries: [DedupEntry] = []
        try query("SELECT key, last_emitted_ns, suppressed FROM alert_dedup", "read the alert deduplication state") {
            entries.append(DedupEntry(key: $0.text(0) ?? "", lastEmittedNanoseconds: $0.int64(1), suppressed: $0.int(2)))
        }
        return entries
    }
}
