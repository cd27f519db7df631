import Wire

/// Certificates in a file: PEM blocks (`CERTIFICATE`, `X509 CERTIFICATE`, `TRUSTED CERTIFICATE`),
/// or DER — one certificate or several concatenated.
public enum CertificateFile {
    public struct Entry: Sendable {
        /// The certificate's DER.
        public var der: [UInt8]
        /// Where it was found: "PEM block 2", "DER at byte 1234".
        public var location: String
    }

    public struct ReadError: Error, CustomStringConvertible, Sendable {
        public var location: String
        public var reason: String
        public var description: String { "\(location): \(reason)" }
    }

    /// Splits a file's bytes into certificates. Blocks that are not certificates (keys, CRLs)
    /// are skipped; a broken certificate block is an error naming where it is.
    public static func entries(in bytes: [UInt8]) throws(ReadError) -> [Entry] {
        if let first = bytes.first, first == 0x30 { return try derEntries(bytes) }
        return try pemEntries(bytes)
    }

    private static func derEntries(_ bytes: [UInt8]) throws(ReadError) -> [Entry] {
        var entries: [Entry] = []
        var cursor = ByteCursor(bytes.span)
        while !cursor.isEmpty {
            let start = cursor.offset
            guard let element = cursor.readASN1Encoded() else {
                throw ReadError(location: "DER at byte \(start)", reason: "not a complete DER element")
            }
            entries.append(Entry(der: Array(copying: element.bytes), location: "DER at byte \(start)"))
        }
        return entries
    }

    private static let labels = ["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"]

    private static func pemEntries(_ bytes: [UInt8]) throws(ReadError) -> [Entry] {
        let text = String(decoding: bytes, as: UTF8.self)
        var entries: [Entry] = []
        var label: String?
        var body = ""
        var block = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let trimmed = line.trimmingSpaces
            if label == nil {
                if trimmed.hasPrefix("-----BEGIN ") && trimmed.hasSuffix("-----") {
                    label = String(trimmed.dropFirst(11).dropLast(5))
                    body = ""
                }
                continue
            }
            if trimmed == "-----END \(label ?? "")-----" {
                if let current = label, labels.contains(current) {
                    block += 1
                    let location = "PEM block \(block)"
                    guard let der = Base64.decode(body) else {
                        throw ReadError(location: location, reason: "invalid base64")
                    }
                    var cursor = ByteCursor(der.span)
                    // A TRUSTED CERTIFICATE carries OpenSSL trust settings after the certificate.
                    guard let certificate = cursor.readASN1Encoded() else {
                        throw ReadError(location: location, reason: "not a DER certificate")
                    }
                    entries.append(Entry(der: Array(copying: certificate.bytes), location: location))
                }
                label = nil
            } else if !trimmed.contains(":") {  // skip RFC 1421 headers such as Proc-Type
                body += trimmed
            }
        }
        if label != nil { throw ReadError(location: "PEM block \(block + 1)", reason: "missing END line") }
        return entries
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}

/// RFC 4648 base64 (standard alphabet, `=` padding; whitespace must be removed first).
enum Base64 {
    static func decode(_ text: String) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for character in text.utf8 {
            let value: UInt32
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(character - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(character - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(character - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"): continue
            default: return nil
            }
            guard padding == 0 else { return nil }  // data after padding
            accumulator = accumulator << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        guard padding <= 2 else { return nil }
        return output
    }
}
