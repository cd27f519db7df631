/// Retention and the size cap (`SQLStoreMaintenance`), then the freed pages given back.
extension SQLiteObservationStore: SQLStoreMaintenance {
    public func removeHistory(lastSeenBefore cutoff: Int64) throws(StoreError) -> Int {
        let removed = try deleteHistory(lastSeenBefore: cutoff)
        try reclaim()
        return removed
    }

    public func shrink(toBytes maxBytes: Int64) throws(StoreError) -> Int {
        let removed = try deleteOldest(toBytes: maxBytes)
        try reclaim()
        return removed
    }

    func change(_ sql: String, _ operation: String, _ parameters: [StoreValue]) throws(StoreError) -> Int {
        try select(sql, operation, parameters) { _ in }
        return database.changes
    }

    public func usedBytes() throws(StoreError) -> Int64 {
        let pages = try integer("PRAGMA page_count", "measure the store")
        let free = try integer("PRAGMA freelist_count", "measure the store")
        let size = try integer("PRAGMA page_size", "measure the store")
        return (pages - free) * size
    }

    func removeUnreferenced() throws(StoreError) {
        knownChains.removeAll()
        for sql in StoreStatements.removeUnreferenced { try run(sql, "remove unreferenced history") }
    }

    /// Gives freed pages back to the file system (auto_vacuum = INCREMENTAL).
    private func reclaim() throws(StoreError) {
        try run("PRAGMA incremental_vacuum", "reclaim free pages")
    }
}
