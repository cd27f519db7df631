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

    /// PEM blocks, read line by line over the bytes (no string per line): a line is what lies
    /// between line breaks (LF, CR, VT, FF, and the UTF-8 of U+0085, U+2028 and U+2029, the
    /// characters Swift counts as newlines), trimmed of spaces and tabs. Outside a block, a line
    /// `-----BEGIN <label>-----` opens one; inside, `-----END <label>-----` closes it, lines with
    /// a `:` are RFC 1421 headers (skipped), the rest is base64.
    private static func pemEntries(_ bytes: [UInt8]) throws(ReadError) -> [Entry] {
        let all = bytes.span
        var entries: [Entry] = []
        var label: String?
        var body: [UInt8] = []
        var block = 0
        var index = 0
        while index <= all.count {
            var end = index
            while end < all.count, PEMLine.breakLength(all, at: end) == 0 { end += 1 }
            let next = end < all.count ? end + PEMLine.breakLength(all, at: end) : all.count + 1
            var start = index, stop = end
            while start < stop, all[start] == 0x20 || all[start] == 0x09 { start += 1 }
            while stop > start, all[stop - 1] == 0x20 || all[stop - 1] == 0x09 { stop -= 1 }
            let line = all.extracting(start..<stop)
            index = next
            if label == nil {
                if line.count >= 16, PEMLine.hasPrefix(line, PEMLine.begin), PEMLine.hasSuffix(line, PEMLine.dashes) {
                    label = String(utf8: line.extracting(11..<(line.count - 5)))
                    body.removeAll(keepingCapacity: true)
                }
                continue
            }
            if line.count >= 14, PEMLine.hasPrefix(line, PEMLine.end), PEMLine.hasSuffix(line, PEMLine.dashes),
               String(utf8: line.extracting(9..<(line.count - 5))) == label {
                if let current = label, labels.contains(current) {
                    block += 1
                    let location = "PEM block \(block)"
                    guard let der = Base64.decode(body.span) else {
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
            } else if !PEMLine.contains(line, UInt8(ascii: ":")) {  // skip RFC 1421 headers such as Proc-Type
                body.append(contentsOf: line)
            }
        }
        if label != nil { throw ReadError(location: "PEM block \(block + 1)", reason: "missing END line") }
        return entries
    }
}

/// Byte tests on one line of a PEM file.
enum PEMLine {
    static let begin = Array("-----BEGIN ".utf8)
    static let end = Array("-----END ".utf8)
    static let dashes = Array("-----".utf8)

    /// How many bytes the line break at `index` takes (0 when there is none there).
    static func breakLength(_ bytes: Span<UInt8>, at index: Int) -> Int {
        switch bytes[index] {
        case 0x0A, 0x0B, 0x0C: return 1
        case 0x0D: return index + 1 < bytes.count && bytes[index + 1] == 0x0A ? 2 : 1
        case 0xC2: return index + 1 < bytes.count && bytes[index + 1] == 0x85 ? 2 : 0
        case 0xE2:
            return index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9)
                ? 3 : 0
        default: return 0
        }
    }

    static func hasPrefix(_ line: Span<UInt8>, _ text: [UInt8]) -> Bool {
        line.count >= text.count && line.extracting(0..<text.count).bytesEqual(text.span)
    }

    static func hasSuffix(_ line: Span<UInt8>, _ text: [UInt8]) -> Bool {
        line.count >= text.count && line.extracting((line.count - text.count)..<line.count).bytesEqual(text.span)
    }

    static func contains(_ line: Span<UInt8>, _ byte: UInt8) -> Bool {
        for index in 0..<line.count where line[index] == byte { return true }
        return false
    }
}

/// RFC 4648 base64 (standard alphabet, `=` padding; whitespace must be removed first).
enum Base64 {
    static func decode(_ text: String) -> [UInt8]? { decode(text.utf8.span) }

    static func decode(_ text: Span<UInt8>) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for index in 0..<text.count {
            let character = text[index]
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
