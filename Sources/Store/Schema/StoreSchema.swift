/// The store's tables, as versioned migrations: the last one applied is `PRAGMA user_version` in
/// SQLite, the highest row of `mitmwatch_schema` in PostgreSQL. Plain SQL types (INTEGER, TEXT,
/// BLOB) that `SQLDialect` turns into PostgreSQL's.
///
/// Times are Unix seconds (UTC). Lists the queries never look inside are text ("43,51").
/// Columns that are part of a unique key are NOT NULL with a sentinel for "none" (-1 for no
/// key-share group, '' for no ALPN), since both databases treat NULLs in a unique key as distinct.
public enum StoreSchema {
    /// `PRAGMA application_id`: "mitm". A database with another id belongs to someone else.
    public static let applicationID: Int64 = 0x6d69_746d

    public static var currentVersion: Int { migrations.count }

    /// Migration n (1-based) takes a store from version n-1 to n.
    static let migrations: [[String]] = [version1, version2]

    /// Our tables (what a store of any version must have).
    static let tables = ["names", "certificates", "chains", "chain_certificates", "name_chains", "name_chain_rules",
                         "profiles", "alert_dedup"]

    static let version1 = [
        """
        CREATE TABLE names (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('sni', 'address')),
            UNIQUE (name, kind))
        """,
        """
        CREATE TABLE certificates (
            sha256 BLOB PRIMARY KEY,
            der BLOB NOT NULL,
            subject TEXT,
            issuer TEXT,
            not_before INTEGER,
            not_after INTEGER,
            spki_sha256 BLOB,
            is_ca INTEGER)
        """,
        "CREATE INDEX certificates_spki ON certificates (spki_sha256)",
        // A chain once, whatever names served it: SHA-256 over its certificates' SHA-256, leaf first.
        """
        CREATE TABLE chains (
            sha256 BLOB PRIMARY KEY,
            leaf_sha256 BLOB NOT NULL,
            length INTEGER NOT NULL,
            issuer TEXT,
            issuing_ca TEXT)
        """,
        "CREATE INDEX chains_issuing_ca ON chains (issuing_ca)",
        """
        CREATE TABLE chain_certificates (
            chain_sha256 BLOB NOT NULL REFERENCES chains (sha256) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            certificate_sha256 BLOB NOT NULL,
            PRIMARY KEY (chain_sha256, position))
        """,
        "CREATE INDEX chain_certificates_certificate ON chain_certificates (certificate_sha256)",
        // Each chain a name was served, per sensor (one store may gather several gateways' later).
        """
        CREATE TABLE name_chains (
            id INTEGER PRIMARY KEY,
            name_id INTEGER NOT NULL REFERENCES names (id) ON DELETE CASCADE,
            chain_sha256 BLOB NOT NULL REFERENCES chains (sha256) ON DELETE CASCADE,
            sensor TEXT NOT NULL,
            first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            count INTEGER NOT NULL,
            passive_count INTEGER NOT NULL,
            probe_count INTEGER NOT NULL,
            UNIQUE (name_id, chain_sha256, sensor))
        """,
        "CREATE INDEX name_chains_chain ON name_chains (chain_sha256)",
        "CREATE INDEX name_chains_last_seen ON name_chains (last_seen)",
        """
        CREATE TABLE name_chain_rules (
            name_chain_id INTEGER NOT NULL REFERENCES name_chains (id) ON DELETE CASCADE,
            rule TEXT NOT NULL,
            PRIMARY KEY (name_chain_id, rule))
        """,
        """
        CREATE TABLE profiles (
            id INTEGER PRIMARY KEY,
            name_id INTEGER NOT NULL REFERENCES names (id) ON DELETE CASCADE,
            sensor TEXT NOT NULL,
            version INTEGER NOT NULL,
            cipher_suite INTEGER NOT NULL,
            key_share_group INTEGER NOT NULL,
            extension_types TEXT NOT NULL,
            alpn TEXT NOT NULL,
            client_offered_tls13 INTEGER NOT NULL,
            client_offered_mlkem INTEGER NOT NULL,
            observation TEXT NOT NULL CHECK (observation IN ('passive', 'probe')),
            first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            count INTEGER NOT NULL,
            UNIQUE (name_id, sensor, version, cipher_suite, key_share_group, extension_types, alpn,
                    client_offered_tls13, client_offered_mlkem, observation))
        """,
        "CREATE INDEX profiles_last_seen ON profiles (last_seen)",
        """
        CREATE TABLE alert_dedup (
            key TEXT PRIMARY KEY,
            last_emitted_ns INTEGER NOT NULL,
            suppressed INTEGER NOT NULL)
        """,
    ]

    /// The alert deduplication state is per sensor: several daemons share one PostgreSQL store,
    /// and each saves and restores only its own keys.
    ///
    /// The version-1 rows are dropped, not kept under a placeholder sensor: nothing says whose
    /// they are — in a shared store, whichever sensor saved last — and a sensor that adopted them
    /// could stay silent about a server another gateway alerted on. Losing them costs at most one
    /// repeated alert per key after the upgrade (the state is only a suppression window); a
    /// placeholder no sensor may read would be rows kept forever for nothing.
    static let version2 = [
        "DROP TABLE alert_dedup",
        """
        CREATE TABLE alert_dedup (
            sensor TEXT NOT NULL,
            key TEXT NOT NULL,
            last_emitted_ns INTEGER NOT NULL,
            suppressed INTEGER NOT NULL,
            PRIMARY KEY (sensor, key))
        """,
    ]
}
