import OpenSSLBridge
import Wire

/// Names (RFC 5280 `Name`): the RFC 4514/2253 string exactly as `openssl x509 -nameopt RFC2253`
/// prints it, and attribute values as text. These allocate, so they run on demand (records,
/// `inspect`), never on the packet path.
public enum DistinguishedName {
    /// Calls `body` with every attribute in encoded order (see `NameStructure.walk`); returns
    /// false when the Name is malformed.
    static func forEachAttribute(
        _ name: Span<UInt8>, _ body: (_ rdn: Int, _ type: Span<UInt8>, _ tag: UInt32, _ value: Span<UInt8>, _ encoded: Span<UInt8>) -> Void
    ) -> Bool {
        NameStructure.walk(ByteCursor(name), body) == nil
    }

    /// `openssl x509 -nameopt RFC2253`: RDNs last to first, `,` between and `+` inside
    /// multi-valued RDNs (whose attributes OpenSSL also prints last to first), short names from
    /// OpenSSL's object table, unknown attribute types as dotted OIDs with `#`-hex DER values,
    /// RFC 2253 escaping, control and non-ASCII bytes as `\XX`. Nil when the Name is malformed.
    public static func rfc2253(_ name: Span<UInt8>) -> String? {
        var parts: [(rdn: Int, text: String)] = []
        let wellFormed = forEachAttribute(name) { rdn, typeOID, tag, value, encoded in
            let type = OID.dotted(typeOID) ?? "?"
            let shortName = ObjectNames.shortName(dotted: type)
            // OpenSSL dumps the values of attribute types it does not know.
            let text = shortName == nil ? hexDump(encoded) : escapedValue(tag: tag, value, encoded: encoded)
            parts.append((rdn, (shortName ?? type) + "=" + text))
        }
        guard wellFormed else { return nil }
        var text = ""
        var previous: Int?
        for part in parts.reversed() {
            if let previous { text += previous == part.rdn ? "+" : "," }
            text += part.text
            previous = part.rdn
        }
        return text
    }

    /// Values of every attribute whose type has this dotted OID.
    public static func values(_ name: Span<UInt8>, dotted: String) -> [String] {
        var values: [String] = []
        _ = forEachAttribute(name) { _, type, tag, value, _ in
            if OID.dotted(type) == dotted { values.append(decodedText(tag: tag, value)) }
        }
        return values
    }

    // MARK: String types

    /// Characters per unit for the string types OpenSSL prints (its `tag2nbyte`); nil = dumped.
    private static func characterWidth(tag: UInt32) -> Int? {
        switch tag {
        case 12: return 0                       // UTF8String: printed byte by byte
        case 18, 19, 20, 22, 23, 24, 26: return 1  // Numeric, Printable, T61, IA5, times, Visible
        case 28: return 4                       // UniversalString
        case 30: return 2                       // BMPString
        default: return nil
        }
    }

    private static func escapedValue(tag: UInt32, _ value: Span<UInt8>, encoded: Span<UInt8>) -> String {
        guard let width = characterWidth(tag: tag) else { return hexDump(encoded) }
        var characters: [UInt32] = []
        var cursor = ByteCursor(value)
        switch width {
        case 4:
            guard value.count % 4 == 0 else { return hexDump(encoded) }
            while let c = cursor.readUInt32() { characters.append(c) }
        case 2:
            guard value.count % 2 == 0 else { return hexDump(encoded) }
            while let c = cursor.readUInt16() { characters.append(UInt32(c)) }
        default:
            while let c = cursor.readUInt8() { characters.append(UInt32(c)) }
        }
        var out = ""
        for (index, character) in characters.enumerated() {
            let position: Position = index == characters.count - 1 ? .last : index == 0 ? .first : .middle
            if width == 0 {
                escape(UInt8(character), position, into: &out)  // UTF8String bytes, unconverted
            } else {
                for byte in utf8Bytes(character) { escape(byte, position, into: &out) }
            }
        }
        return out
    }

    private enum Position { case first, middle, last }

    /// OpenSSL's `do_esc_char` with the RFC 2253 flags (ESC_2253 | ESC_CTRL | ESC_MSB). A
    /// one-character value counts as *last* only, as in OpenSSL.
    private static func escape(_ byte: UInt8, _ position: Position, into out: inout String) {
        switch byte {
        case 0x80...0xff, 0x00...0x1f, 0x7f:
            out += "\\" + hexByte(byte)
        case UInt8(ascii: ","), UInt8(ascii: "+"), UInt8(ascii: "\""), UInt8(ascii: "\\"),
             UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: ";"):
            out += "\\" + String(UnicodeScalar(byte))
        case UInt8(ascii: " ") where position != .middle:
            out += "\\ "
        case UInt8(ascii: "#") where position == .first:
            out += "\\#"
        default:
            out.unicodeScalars.append(UnicodeScalar(byte))
        }
    }

    /// OpenSSL's UTF8_putc, which encodes any 31-bit value (not only valid scalars).
    private static func utf8Bytes(_ value: UInt32) -> [UInt8] {
        switch value {
        case 0..<0x80: return [UInt8(value)]
        case 0x80..<0x800: return [0xc0 | UInt8(value >> 6), 0x80 | UInt8(value & 0x3f)]
        case 0x800..<0x10000:
            return [0xe0 | UInt8(value >> 12), 0x80 | UInt8(value >> 6 & 0x3f), 0x80 | UInt8(value & 0x3f)]
        case 0x10000..<0x200000:
            return [0xf0 | UInt8(value >> 18), 0x80 | UInt8(value >> 12 & 0x3f), 0x80 | UInt8(value >> 6 & 0x3f),
                    0x80 | UInt8(value & 0x3f)]
        case 0x200000..<0x4000000:
            return [0xf8 | UInt8(value >> 24), 0x80 | UInt8(value >> 18 & 0x3f), 0x80 | UInt8(value >> 12 & 0x3f),
                    0x80 | UInt8(value >> 6 & 0x3f), 0x80 | UInt8(value & 0x3f)]
        default:
            return [0xfc | UInt8(value >> 30 & 0x01), 0x80 | UInt8(value >> 24 & 0x3f), 0x80 | UInt8(value >> 18 & 0x3f),
                    0x80 | UInt8(value >> 12 & 0x3f), 0x80 | UInt8(value >> 6 & 0x3f), 0x80 | UInt8(value & 0x3f)]
        }
    }

    private static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]], as: UTF8.self)
    }

    /// `#` and the uppercase hex of the whole encoded value, as OpenSSL's DUMP_DER.
    private static func hexDump(_ encoded: Span<UInt8>) -> String {
        var out = "#"
        for index in 0..<encoded.count { out += hexByte(encoded[index]) }
        return out
    }

    /// A value as Unicode text: UTF-8, Latin-1 for the one-byte types, UTF-16BE for BMPString,
    /// UTF-32BE for UniversalString; invalid sequences become U+FFFD.
    public static func decodedText(tag: UInt32, _ value: Span<UInt8>) -> String {
        var cursor = ByteCursor(value)
        switch tag {
        case 30:
            var units: [UInt16] = []
            while let unit = cursor.readUInt16() { units.append(unit) }
            return String(decoding: units, as: UTF16.self)
        case 28:
            var scalars = String.UnicodeScalarView()
            while let value = cursor.readUInt32() { scalars.append(UnicodeScalar(value) ?? "\u{FFFD}") }
            return String(scalars)
        case 12:
            return String(utf8: value)
        default:
            var scalars = String.UnicodeScalarView()
            while let byte = cursor.readUInt8() { scalars.append(UnicodeScalar(byte)) }
            return String(scalars)
        }
    }
}

/// Whether a Name uses only UTF8String, PrintableString and IA5String (the modern types);
/// anything else is noted as a legacy string type. Allocation-free.
enum NameStrings {
    static func usesOnlyModernStrings(_ name: ByteCursor) -> Bool {
        var outer = name
        guard var rdns = outer.readASN1(.sequence) else { return true }
        while var set = rdns.readASN1(.set) {
            while var pair = set.readASN1(.sequence) {
                guard pair.readASN1(.objectIdentifier) != nil, let tag = pair.peek(0) else { return true }
                switch tag {
                case 12, 19, 22, 18, 26: continue  // UTF8, Printable, IA5, Numeric, Visible
                default: return false
                }
            }
        }
        return true
    }
}
