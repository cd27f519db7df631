import Detector

/// The observation store as the rest of mitmwatch sees it: write a batch, keep it within its
/// retention and size, answer the history queries. `SQLiteObservationStore` (a file, the
/// default) and `PostgresObservationStore` (a server several sensors share) implement it with the
/// same schema and statements; `StoreLocation` opens the one a setting names.
/// A store is used by one thread at a time.
public protocol ObservationStore: AnyObject {
    /// The file, or the server's URL with its password masked: what messages name.
    var path: String { get }

    /// Adds a batch in one transaction: all of it or none.
    func write(_ batch: StoreBatch, sensor: String) throws(StoreError)
    /// Deletes what was last seen before `cutoff` (Unix seconds) and what nothing references
    /// any more; returns the rows of history removed.
    func removeHistory(lastSeenBefore cutoff: Int64) throws(StoreError) -> Int
    /// Removes the oldest history until the data takes at most `maxBytes`; returns the rows removed.
    func shrink(toBytes maxBytes: Int64) throws(StoreError) -> Int
    /// Bytes the data takes (not counting free space the file keeps for reuse).
    func usedBytes() throws(StoreError) -> Int64

    /// Each distinct chain `name` was served (last seen at or after `since`), oldest first.
    func chains(named name: String, since: Int64?) throws(StoreError) -> [ChainHistory]
    /// Each (name, chain) whose leaf's issuer DN contains `text`, case-insensitively.
    func chains(issuerContaining text: String, since: Int64?) throws(StoreError) -> [ChainHistory]
    /// Each (name, chain) issued by the CA key `key` ("aki:…", "spki:…", "dn:…", or bare hex of
    /// a key identifier), or holding a certificate whose SubjectPublicKeyInfo SHA-256 is `key`.
    func chains(caKey key: String, since: Int64?) throws(StoreError) -> [ChainHistory]
    /// Names served chains from more than one issuing CA key, each key with when it first
    /// appeared; with `since`, only names where a key other than their first appeared since.
    func issuerChanges(since: Int64?) throws(StoreError) -> [IssuerChange]

    /// The alert deduplication state `sensor` saved (none of other sensors'), in no order.
    func dedupEntries(sensor: String) throws(StoreError) -> [DedupEntry]
    /// The `limit` names seen most recently (by any sensor), each with its history: the
    /// history rules' memory at start.
    func nameHistories(limit: Int) throws(StoreError) -> [String: NameHistory]
}
