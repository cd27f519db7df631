import CLibPQ

/// One libpq connection: connect, run a statement with parameters, notice when it died. With
/// `PostgresResult`, the unsafe core of the PostgreSQL store; everything above is safe Swift.
/// Not thread-safe: one thread uses a connection (the writer's, or a command's).
@safe
public final class PostgresConnection {
    /// The PGconn; owned here, finished in deinit.
    private let handle: OpaquePointer

    /// Connects to `url` (a libpq connection URI; its own settings, `sslmode` among them, are
    /// libpq's to apply). A server that does not answer fails after `connect_timeout` seconds
    /// (10 unless the URL says otherwise); over TCP, a server or network that goes silent mid-call
    /// fails after about a minute (keepalives, `tcp_user_timeout`), so the writer thread — and
    /// the daemon's stop, which waits for it — is never stuck for ever.
    public init(url: String) throws(PostgresError) {
        // Later entries override earlier ones and the URL's settings (expanded from `dbname`)
        // override the defaults before it.
        let defaults = [("connect_timeout", "10"), ("fallback_application_name", "mitmwatch"), ("keepalives_idle", "30"),
                        ("keepalives_interval", "10"), ("keepalives_count", "3"), ("tcp_user_timeout", "60000")]
        let keywords = defaults.map(\.0) + ["dbname"]
        let values = defaults.map(\.1) + [url]
        // unsafe: both arrays are NUL-terminated C string arrays alive for the call.
        let connection = unsafe Self.withCStrings(keywords.map { Array($0.utf8) }) { keywords in
            unsafe Self.withCStrings(values.map { Array($0.utf8) }) { values in
                unsafe PQconnectdbParams(keywords, values, 1)
            }
        }
        guard let connection = unsafe connection else { throw PostgresError(message: "out of memory", connectionLost: true) }
        // unsafe: the connection is valid until PQfinish.
        guard unsafe PQstatus(connection) == CONNECTION_OK else {
            let message = unsafe String(cString: PQerrorMessage(connection))
            unsafe PQfinish(connection)
            throw PostgresError(message: message, connectionLost: true)
        }
        unsafe handle = connection
    }

    deinit {
        // unsafe: the connection is owned here and finished once.
        unsafe PQfinish(handle)
    }

    /// Whether `url` is a connection string libpq can parse (nil), else libpq's reason.
    public static func check(url: String) -> String? {
        var message: UnsafeMutablePointer<CChar>?
        // unsafe: the URL is a C string for the call; the options and message are libpq's to free.
        guard let options = unsafe PQconninfoParse(url, &message) else {
            let reason = unsafe message.map { unsafe String(cString: $0) } ?? "out of memory"
            unsafe PQfreemem(message)
            return PostgresError(message: reason).message
        }
        unsafe PQconninfoFree(options)
        return nil
    }

    /// Whether the connection is still up, as far as libpq knows (it learns on the next call).
    public var isOpen: Bool {
        // unsafe: the connection is valid.
        unsafe PQstatus(handle) == CONNECTION_OK
    }

    /// Runs one statement with `$1…` parameters, sent in binary with their types (int8, text,
    /// bytea; NULL untyped) so no value is ever parsed as SQL; results come back as text.
    public func execute(_ sql: String, _ parameters: [StoreValue]) throws(PostgresError) -> PostgresResult {
        var values: [[UInt8]?] = []
        var types: [Oid] = []
        var lengths: [Int32] = []
        values.reserveCapacity(parameters.count)
        for parameter in parameters {
            switch parameter {
            case .int(let value):
                values.append((0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) })  // big-endian
                types.append(20)  // int8
            case .text(let value):
                // PostgreSQL's text cannot hold NUL (SQLite's can): U+FFFD in its place.
                values.append(Array(value.utf8.contains(0) ? value.replacing("\u{0}", with: "\u{FFFD}").utf8 : value.utf8))
                types.append(25)  // text
            case .bytes(let value):
                values.append(value)
                types.append(17)  // bytea
            case .null:
                values.append(nil)
                types.append(0)  // the server infers it
            }
            lengths.append(Int32(values.last??.count ?? 0))
        }
        let formats = [Int32](repeating: 1, count: parameters.count)
        // unsafe: the SQL, the parameters' buffers and the arrays are alive for the call, which
        // copies what it sends before returning.
        let result = unsafe Self.withCStrings(values) { pointers in
            unsafe PQexecParams(handle, sql, Int32(parameters.count), types, pointers, lengths, formats, 0)
        }
        guard let result = unsafe result else {
            // unsafe: the message is the connection's, copied at once.
            throw PostgresError(message: unsafe String(cString: PQerrorMessage(handle)), connectionLost: !isOpen)
        }
        let owned = unsafe PostgresResult(handle: result)
        // unsafe: the result is valid (owned above).
        let status = unsafe PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            // unsafe: the message and SQLSTATE are the result's, copied while it is alive.
            let message = unsafe String(cString: PQresultErrorMessage(result))
            let state = unsafe PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { unsafe String(cString: $0) }
            withExtendedLifetime(owned) {}
            throw PostgresError(message: message.isEmpty ? "statement failed" : message, sqlState: state,
                                connectionLost: !isOpen)
        }
        return owned
    }

    /// Calls `body` with a C array of pointers to `values` (each copied into one buffer with a
    /// NUL after it, so it is a C string too; nil stays a null pointer), ending with nil.
    private static func withCStrings<R>(_ values: [[UInt8]?],
                                        _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        var buffer: [UInt8] = []
        var offsets: [Int] = []
        for value in values {
            guard let value else {
                offsets.append(-1)
                continue
            }
            offsets.append(buffer.count)
            buffer.append(contentsOf: value)
            buffer.append(0)
        }
        buffer.append(0)  // never empty: a zero-length value still gets a pointer
        // unsafe: the pointers point into `buffer`, alive and unchanged for the body's duration.
        return unsafe buffer.withUnsafeBufferPointer { bytes in
            let base = unsafe UnsafeRawPointer(bytes.baseAddress!)
            let pointers: [UnsafePointer<CChar>?] = unsafe offsets.map { offset in
                offset < 0 ? nil : unsafe (base + offset).assumingMemoryBound(to: CChar.self)
            } + [nil]
            return unsafe body(pointers)
        }
    }
}
