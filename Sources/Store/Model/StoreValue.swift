/// A statement parameter, for the query path both SQL stores share (`SQLObservationStore`).
public enum StoreValue: Sendable, Equatable {
    case int(Int64)
    case text(String)
    case bytes([UInt8])
    case null

    public static func int(_ value: Int) -> StoreValue { .int(Int64(value)) }
    public static func text(_ value: String?) -> StoreValue { value.map { .text($0) } ?? .null }
    public static func bytes(_ value: [UInt8]?) -> StoreValue { value.map { .bytes($0) } ?? .null }
}

/// A result row as both stores read it: columns 0-based; text and bytes copied out.
public protocol StoreRow {
    func isNull(_ column: Int32) -> Bool
    func int64(_ column: Int32) -> Int64
    /// The column as text (nil when NULL).
    func text(_ column: Int32) -> String?
    /// The column as bytes (nil when NULL).
    func blob(_ column: Int32) -> [UInt8]?
}

extension StoreRow {
    public func int(_ column: Int32) -> Int { Int(int64(column)) }
}

extension SQLiteStatement: StoreRow {}
