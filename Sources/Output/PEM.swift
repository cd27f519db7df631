/// Certificates as PEM text (RFC 7468: base64 in 64-column lines).
public enum PEM {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// One certificate's PEM block, ending with a line break.
    public static func certificate(_ der: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + der.count * 4 / 3 + der.count / 48)
        out.append(contentsOf: "-----BEGIN CERTIFICATE-----\n".utf8)
        var index = 0, column = 0
        while index < der.count {
            let chunk = min(3, der.count - index)
            let value = UInt32(der[index]) << 16 | UInt32(chunk > 1 ? der[index + 1] : 0) << 8
                | UInt32(chunk > 2 ? der[index + 2] : 0)
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(chunk > 1 ? alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "="))
            out.append(chunk > 2 ? alphabet[Int(value & 63)] : UInt8(ascii: "="))
            index += 3
            column += 4
            if column == 64 && index < der.count {
                out.append(UInt8(ascii: "\n"))
                column = 0
            }
        }
        if !der.isEmpty { out.append(UInt8(ascii: "\n")) }
        out.append(contentsOf: "-----END CERTIFICATE-----\n".utf8)
        return out
    }

    /// The PEM text as a JSON string.
    static func write(_ der: [UInt8], into json: inout JSONBuffer) {
        json.utf8String(certificate(der).span)
    }
}
