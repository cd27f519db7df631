import COpenSSL

/// OpenSSL's short names for object identifiers ("2.5.4.3" → "CN"), as `OBJ_txt2nid` followed
/// by `OBJ_nid2sn` gives them.
///
/// The table is read out of OpenSSL once, on first use (a `static let`: Swift initialises it
/// exactly once, thread-safely), and never changes: a lookup is a dictionary read, with no
/// OpenSSL call, no lock and nothing shared that is written. Objects added to OpenSSL's table
/// after that (none are, in mitmwatch) are not seen.
public enum ObjectNames {
    /// The short name of the object with this dotted OID, or nil when OpenSSL has none.
    public static func shortName(dotted: String) -> String? {
        table[dotted]
    }

    /// How many OIDs have a short name.
    public static var count: Int { table.count }

    private static let table: [String: String] = unsafe readTable()

    /// Every NID OpenSSL knows, by dotted OID. Each OID is resolved back with `OBJ_txt2nid`,
    /// so the table answers exactly as that lookup does even if two NIDs shared an OID.
    @unsafe
    private static func readTable() -> [String: String] {
        defer { ERR_clear_error() }
        var table: [String: String] = [:]
        // OBJ_new_nid(0) reserves nothing and returns the first unused NID: every NID is below it.
        let end = OBJ_new_nid(0)
        for nid in 1..<max(1, end) {
            // unsafe: nid2obj returns a static entry, or nil for a NID without one.
            guard let object = unsafe OBJ_nid2obj(nid), unsafe OBJ_length(object) > 0,
                  let dotted = unsafe dottedText(object) else { continue }
            let resolved = unsafe OBJ_txt2nid(dotted)
            // unsafe: nid2sn returns a static string.
            guard resolved != NID_undef, let name = unsafe OBJ_nid2sn(resolved) else { continue }
            table[dotted] = unsafe String(cString: name)
        }
        return table
    }

    /// `OBJ_obj2txt(…, 1)`: the dotted form, never a name.
    @unsafe
    private static func dottedText(_ object: OpaquePointer) -> String? {
        var text = [CChar](repeating: 0, count: 128)
        while true {
            let length = unsafe text.withUnsafeMutableBufferPointer { buffer in
                // unsafe: writes at most `count` bytes, NUL included, into the array's storage and
                // returns the length the whole text needs; `object` is the caller's live object.
                unsafe OBJ_obj2txt(buffer.baseAddress, Int32(buffer.count), object, 1)
            }
            guard length > 0 else { return nil }
            if Int(length) < text.count {
                return String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            text = [CChar](repeating: 0, count: Int(length) + 1)
        }
    }
}
