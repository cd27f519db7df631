/// The statements both SQL stores write with, with `?` placeholders (`SQLDialect` turns them into
/// PostgreSQL's `$1…`): UPSERTs (`INSERT … ON CONFLICT … DO UPDATE`, spelled the same by both)
/// where counts add up, first and last seen widen, rule ids are a union, and a chain's issuer is
/// filled in when a later report carries the parsed leaf.
enum StoreStatements {
    /// DO UPDATE (a no-op) rather than DO NOTHING, so RETURNING gives the existing row's id too.
    static let upsertName =
        "INSERT INTO names (name, kind) VALUES (?, ?) ON CONFLICT (name, kind) DO UPDATE SET name = excluded.name RETURNING id"

    static let insertCertificate = """
        INSERT INTO certificates (sha256, der, subject, issuer, not_before, not_after, spki_sha256, is_ca)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING
        """

    static let upsertChain = """
        INSERT INTO chains (sha256, leaf_sha256, length, issuer, issuing_ca) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (sha256) DO UPDATE SET issuer = COALESCE(chains.issuer, excluded.issuer),
            issuing_ca = COALESCE(chains.issuing_ca, excluded.issuing_ca)
        """

    static let insertChainCertificate = """
        INSERT INTO chain_certificates (chain_sha256, position, certificate_sha256) VALUES (?, ?, ?)
        ON CONFLICT (chain_sha256, position) DO NOTHING
        """

    static let upsertNameChain = """
        INSERT INTO name_chains (name_id, chain_sha256, sensor, first_seen, last_seen, count, passive_count, probe_count)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (name_id, chain_sha256, sensor) DO UPDATE SET
            first_seen = CASE WHEN excluded.first_seen < name_chains.first_seen THEN excluded.first_seen ELSE name_chains.first_seen END,
            last_seen = CASE WHEN excluded.last_seen > name_chains.last_seen THEN excluded.last_seen ELSE name_chains.last_seen END,
            count = name_chains.count + excluded.count,
            passive_count = name_chains.passive_count + excluded.passive_count,
            probe_count = name_chains.probe_count + excluded.probe_count
        RETURNING id
        """

    static let insertRule =
        "INSERT INTO name_chain_rules (name_chain_id, rule) VALUES (?, ?) ON CONFLICT (name_chain_id, rule) DO NOTHING"

    static let upsertProfile = """
        INSERT INTO profiles (name_id, sensor, version, cipher_suite, key_share_group, extension_types, alpn,
            client_offered_tls13, client_offered_mlkem, observation, first_seen, last_seen, count)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (name_id, sensor, version, cipher_suite, key_share_group, extension_types, alpn,
            client_offered_tls13, client_offered_mlkem, observation) DO UPDATE SET
            first_seen = CASE WHEN excluded.first_seen < profiles.first_seen THEN excluded.first_seen ELSE profiles.first_seen END,
            last_seen = CASE WHEN excluded.last_seen > profiles.last_seen THEN excluded.last_seen ELSE profiles.last_seen END,
            count = profiles.count + excluded.count
        """

    /// A sensor's deduplication state: replaced (delete, then insert, in the batch's transaction)
    /// and read by its sensor only, never another's.
    static let deleteDedup = "DELETE FROM alert_dedup WHERE sensor = ?"
    static let insertDedup = """
        INSERT INTO alert_dedup (sensor, key, last_emitted_ns, suppressed) VALUES (?, ?, ?, ?)
        ON CONFLICT (sensor, key) DO NOTHING
        """
    static let selectDedup = "SELECT key, last_emitted_ns, suppressed FROM alert_dedup WHERE sensor = ?"

    /// Retention: each table's history last seen before the cutoff.
    static let historyTables = ["name_chains", "profiles"]

    /// What nothing references any more, after retention or the size cap (chain_certificates go
    /// with their chain by ON DELETE CASCADE, rules with their name_chain).
    static let removeUnreferenced = [
        "DELETE FROM chains WHERE NOT EXISTS (SELECT 1 FROM name_chains WHERE name_chains.chain_sha256 = chains.sha256)",
        """
        DELETE FROM certificates WHERE NOT EXISTS
            (SELECT 1 FROM chain_certificates WHERE chain_certificates.certificate_sha256 = certificates.sha256)
        """,
        """
        DELETE FROM names WHERE NOT EXISTS (SELECT 1 FROM name_chains WHERE name_chains.name_id = names.id)
            AND NOT EXISTS (SELECT 1 FROM profiles WHERE profiles.name_id = names.id)
        """,
    ]
}
