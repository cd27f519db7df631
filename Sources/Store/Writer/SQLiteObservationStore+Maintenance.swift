/// Retention and the size cap: history last seen before the cutoff goes, then the oldest history
/// while the data is over the cap; chains, certificates and names nothing references go with it.
extension SQLiteObservationStore {
    public func removeHistory(lastSeenBefore cutoff: Int64) throws(StoreError) -> Int {
        var removed = 0
        try transaction("apply retention") { () throws(StoreError) in
            for table in StoreStatements.historyTables {
                try query("DELETE FROM \(table) WHERE last_seen < ?", "apply retention",
                          bind: { s throws(SQLiteError) in try s.bind(cutoff, at: 1) }, row: { _ in })
                removed += database.changes
            }
            try removeUnreferenced()
        }
        try reclaim()
        return removed
    }

    public func shrink(toBytes maxBytes: Int64) throws(StoreError) -> Int {
        var removed = 0
        // Each round removes the oldest tenth (at least 64 rows) of each table: a few rounds reach
        // the cap however far over it the store is; bounded so a cap below the empty schema ends.
        for _ in 0..<32 {
            guard try usedBytes() > maxBytes else { break }
            var roundRemoved = 0
            try transaction("apply the size cap") { () throws(StoreError) in
                for table in StoreStatements.historyTables {
                    let rows = try integer("SELECT COUNT(*) FROM \(table)", "apply the size cap")
                    try query("DELETE FROM \(table) WHERE id IN (SELECT id FROM \(table) ORDER BY last_seen LIMIT ?)",
                              "apply the size cap", bind: { s throws(SQLiteError) in try s.bind(max(64, rows / 10), at: 1) },
                              row: { _ in })
                    roundRemoved += database.changes
                }
                try removeUnreferenced()
            }
            removed += roundRemoved
            if roundRemoved == 0 { break }
        }
        try reclaim()
        return removed
    }

    public func usedBytes() throws(StoreError) -> Int64 {
        let pages = try integer("PRAGMA page_count", "measure the store")
        let free = try integer("PRAGMA freelist_count", "measure the store")
        let size = try integer("PRAGMA page_size", "measure the store")
        return (pages - free) * size
    }

    private func removeUnreferenced() throws(StoreError) {
        knownChains.removeAll()
        for sql in StoreStatements.removeUnreferenced { try run(sql, "remove unreferenced history") }
    }

    /// Gives freed pages back to the file system (auto_vacuum = INCREMENTAL).
    private func reclaim() throws(StoreError) {
        try run("PRAGMA incremental_vacuum", "reclaim free pages")
    }
}
