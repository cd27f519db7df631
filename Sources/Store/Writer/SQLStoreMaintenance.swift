/// Retention and the size cap, written once for both SQL stores: history last seen before the
/// cutoff goes, then the oldest history while the data is over the cap; chains, certificates and
/// names nothing references go with it. Each store supplies its dialect's pieces (how many rows a
/// statement changed, its transaction, what it forgets when rows go) and measures itself
/// (`usedBytes`); the SQLite store then gives the freed pages back to the file system.
protocol SQLStoreMaintenance: SQLObservationStore {
    /// Runs a statement that changes rows; how many it changed.
    func change(_ sql: String, _ operation: String, _ parameters: [StoreValue]) throws(StoreError) -> Int
    /// `body` in one transaction, rolled back when it throws.
    func transaction(_ operation: String, _ body: () throws(StoreError) -> Void) throws(StoreError)
    /// Deletes the chains, certificates and names nothing references any more.
    func removeUnreferenced() throws(StoreError)
}

extension SQLStoreMaintenance {
    /// Deletes the history last seen before `cutoff`; the rows removed.
    func deleteHistory(lastSeenBefore cutoff: Int64) throws(StoreError) -> Int {
        var removed = 0
        try transaction("apply retention") { () throws(StoreError) in
            for table in StoreStatements.historyTables {
                removed += try change("DELETE FROM \(table) WHERE last_seen < ?", "apply retention", [.int(cutoff)])
            }
            try removeUnreferenced()
        }
        return removed
    }

    /// Deletes the oldest history until the data is within `maxBytes`; the rows removed.
    func deleteOldest(toBytes maxBytes: Int64) throws(StoreError) -> Int {
        var removed = 0
        // Each round removes the oldest tenth (at least 64 rows) of each table: a few rounds reach
        // the cap however far over it the store is; bounded so a cap below the empty schema ends.
        for _ in 0..<32 {
            guard try usedBytes() > maxBytes else { break }
            var roundRemoved = 0
            try transaction("apply the size cap") { () throws(StoreError) in
                for table in StoreStatements.historyTables {
                    var rows: Int64 = 0
                    try select("SELECT COUNT(*) FROM \(table)", "apply the size cap", []) { rows = $0.int64(0) }
                    roundRemoved += try change("DELETE FROM \(table) WHERE id IN (SELECT id FROM \(table) ORDER BY last_seen LIMIT ?)",
                                               "apply the size cap", [.int(max(64, rows / 10))])
                }
                try removeUnreferenced()
            }
            removed += roundRemoved
            if roundRemoved == 0 { break }
        }
        return removed
    }
}
