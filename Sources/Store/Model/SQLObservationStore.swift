/// An `ObservationStore` on SQL (SQLite, PostgreSQL): the history queries, the history rules'
/// seed and the deduplication state are written once over `select` (Query/), with `?`
/// placeholders and SQL both databases take; each store writes and keeps itself within bounds
/// in its own dialect (`SQLDialect`).
public protocol SQLObservationStore: ObservationStore {
    associatedtype Row: StoreRow
    /// Runs `sql` with `parameters` bound to its `?` in order, calling `row` for each result row.
    func select(_ sql: String, _ operation: String, _ parameters: [StoreValue], row: (Row) -> Void) throws(StoreError)
}
