/// Certificates as PEM text (RFC 7468: base64 in 64-column lines).
public enum PEM {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static let header = Array("-----BEGIN CERTIFICATE-----\n".utf8)
    static let footer = Array("-----END CERTIFICATE-----\n".utf8)

    /// One certificate's PEM block, ending with a line break. Written into an array of its exact
    /// size (no growth, no per-byte append).
    public static func certificate(_ der: [UInt8]) -> [UInt8] {
        let encoded = (der.count + 2) / 3 * 4
        let lines = (encoded + 63) / 64
        var out = [UInt8](repeating: UInt8(ascii: "\n"), count: header.count + encoded + lines + footer.count)
        for index in header.indices { out[index] = header[index] }
        var position = header.count, column = 0, index = 0
        while index < der.count {
            let chunk = min(3, der.count - index)
            let value = UInt32(der[index]) << 16 | UInt32(chunk > 1 ? der[index + 1] : 0) << 8
                | UInt32(chunk > 2 ? der[index + 2] : 0)
            out[position] = alphabet[Int(value >> 18 & 63)]
            out[position + 1] = alphabet[Int(value >> 12 & 63)]
            out[position + 2] = chunk > 1 ? alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "=")
            out[position + 3] = chunk > 2 ? alphabet[Int(value & 63)] : UInt8(ascii: "=")
            position += 4
            index += 3
            column += 4
            if column == 64 || index >= der.count {
                position += 1  // the line break already there
                column = 0
            }
        }
        for offset in footer.indices { out[position + offset] = footer[offset] }
        return out
    }

    /// The PEM text as a JSON string.
    static func write(_ der: [UInt8], into json: inout JSONBuffer) {
        json.utf8String(certificate(der).span)
    }
}
