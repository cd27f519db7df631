import CLibPQ

/// A statement's result, in text format: rows and columns (0-based), values copied out. Owns
/// the PGresult and clears it in deinit. With `PostgresConnection`, the unsafe core of the
/// PostgreSQL store.
@safe
public final class PostgresResult {
    private let handle: OpaquePointer

    init(handle: OpaquePointer) {
        unsafe self.handle = handle
    }

    deinit {
        // unsafe: the result is owned here and cleared once.
        unsafe PQclear(handle)
    }

    public var rows: Int32 {
        // unsafe: the result is valid.
        unsafe PQntuples(handle)
    }

    /// Rows an INSERT, UPDATE or DELETE changed (0 for other statements).
    public var changes: Int {
        // unsafe: PQcmdTuples returns a string owned by the result, copied at once.
        Int(unsafe String(cString: PQcmdTuples(handle))) ?? 0
    }

    public func isNull(_ row: Int32, _ column: Int32) -> Bool {
        guard row < rows, column < columns else { return true }
        // unsafe: row and column are within the result.
        return unsafe PQgetisnull(handle, row, column) != 0
    }

    /// The value's text bytes (nil when NULL or out of range).
    public func bytes(_ row: Int32, _ column: Int32) -> [UInt8]? {
        guard !isNull(row, column) else { return nil }
        // unsafe: row and column are within the result; PQgetvalue's bytes (PQgetlength long) are
        // owned by the result, which outlives this call, and are copied out.
        guard let value = unsafe PQgetvalue(handle, row, column) else { return nil }
        let count = Int(unsafe PQgetlength(handle, row, column))
        return unsafe Array(UnsafeRawBufferPointer(start: value, count: count))
    }

    private var columns: Int32 {
        // unsafe: the result is valid.
        unsafe PQnfields(handle)
    }
}

/// One row of a result, read the way the store's queries read SQLite's rows: numbers parsed from
/// their text, `bytea` decoded from its hex text (`\x…`, the server's default output).
public struct PostgresRow: StoreRow {
    let result: PostgresResult
    let row: Int32

    public func isNull(_ column: Int32) -> Bool { result.isNull(row, column) }

    public func int64(_ column: Int32) -> Int64 {
        guard let bytes = result.bytes(row, column) else { return 0 }
        // SUM() of BIGINT is NUMERIC: a whole number, possibly written "12" or "12.0".
        let text = String(decoding: bytes, as: UTF8.self)
        return Int64(text) ?? Int64(text.prefix { $0 != "." }) ?? 0
    }

    public func text(_ column: Int32) -> String? {
        result.bytes(row, column).map { String(decoding: $0, as: UTF8.self) }
    }

    public func blob(_ column: Int32) -> [UInt8]? {
        guard let text = result.bytes(row, column) else { return nil }
        guard text.count >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x"), text.count % 2 == 0 else { return [] }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 2 - 1)
        var index = 2
        while index < text.count {
            guard let high = Self.nibble(text[index]), let low = Self.nibble(text[index + 1]) else { return [] }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
