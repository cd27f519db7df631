import Wire

/// Object identifiers as their DER content octets, compared and printed without a table.
public enum OID {
    /// Dotted text, e.g. `2.5.29.19`. Nil for an encoding that is not a valid OID.
    public static func dotted(_ contents: Span<UInt8>) -> String? {
        guard !contents.isEmpty, contents[contents.count - 1] & 0x80 == 0 else { return nil }
        var text = ""
        var value: UInt64 = 0
        var first = true
        var arcStart = true
        for index in 0..<contents.count {
            let byte = contents[index]
            if arcStart && byte == 0x80 { return nil }  // leading zero digit: not minimal
            arcStart = false
            guard value <= (UInt64.max >> 7) else { return nil }
            value = value << 7 | UInt64(byte & 0x7f)
            if byte & 0x80 == 0 {
                if first {
                    let top: UInt64 = value < 40 ? 0 : value < 80 ? 1 : 2
                    text = "\(top).\(value - top * 40)"
                    first = false
                } else {
                    text += ".\(value)"
                }
                value = 0
                arcStart = true
            }
        }
        return text
    }

    /// Whether `contents` equals `expected`.
    @inline(__always)
    static func equals(_ contents: Span<UInt8>, _ expected: StaticOID) -> Bool {
        guard contents.count == expected.count else { return false }
        for index in 0..<contents.count where contents[index] != expected.byte(index) { return false }
        return true
    }
}

/// Up to 16 content octets of an OID, held inline so comparing costs no allocation.
struct StaticOID {
    let count: Int
    let low: UInt64
    let high: UInt64

    init(_ bytes: UInt8...) {
        count = bytes.count
        var low: UInt64 = 0, high: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { low |= UInt64(byte) << (8 * index) } else { high |= UInt64(byte) << (8 * (index - 8)) }
        }
        self.low = low
        self.high = high
    }

    @inline(__always)
    func byte(_ index: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: index < 8 ? low >> (8 * index) : high >> (8 * (index - 8)))
    }
}

/// The OIDs the certificate view recognises.
enum KnownOID {
    // Public key algorithms
    static let rsaEncryption = StaticOID(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01)
    static let rsassaPSS = StaticOID(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a)
    static let ecPublicKey = StaticOID(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01)
    static let dsa = StaticOID(0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01)
    static let ed25519 = StaticOID(0x2b, 0x65, 0x70)
    static let ed448 = StaticOID(0x2b, 0x65, 0x71)
    static let x25519 = StaticOID(0x2b, 0x65, 0x6e)
    static let x448 = StaticOID(0x2b, 0x65, 0x6f)
    // Named curves
    static let prime256v1 = StaticOID(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07)
    static let secp384r1 = StaticOID(0x2b, 0x81, 0x04, 0x00, 0x22)
    static let secp521r1 = StaticOID(0x2b, 0x81, 0x04, 0x00, 0x23)
    static let secp256k1 = StaticOID(0x2b, 0x81, 0x04, 0x00, 0x0a)
    static let secp224r1 = StaticOID(0x2b, 0x81, 0x04, 0x00, 0x21)
    static let prime192v1 = StaticOID(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x01)
    // Extensions outside 2.5.29
    static let authorityInfoAccess = StaticOID(0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01)
    static let embeddedSCTList = StaticOID(0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02)
    // Name attributes
    static let commonName = StaticOID(0x55, 0x04, 0x03)
}
