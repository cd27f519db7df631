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
        expected.matches(contents)
    }
}

/// Up to 16 content octets of an OID as two little-endian words, so that comparing a field
/// with a known OID is a couple of integer compares with no lookup and no allocation.
struct StaticOID {
    let count: Int
    let low: UInt64
    let high: UInt64

    @inline(__always)
    init(count: Int, low: UInt64, high: UInt64) {
        self.count = count
        self.low = low
        self.high = high
    }

    /// Whether `contents` holds exactly these octets.
    @inline(__always)
    func matches(_ contents: Span<UInt8>) -> Bool {
        guard contents.count == count else { return false }
        var low: UInt64 = 0, high: UInt64 = 0
        for index in 0..<count {
            let byte = UInt64(contents[index])
            if index < 8 { low |= byte << (8 * UInt64(index)) } else { high |= byte << (8 * UInt64(index - 8)) }
        }
        return low == self.low && high == self.high
    }
}

/// The OIDs the certificate view recognises.
enum KnownOID {
    // Public key algorithms
    static var rsaEncryption: StaticOID { StaticOID(count: 9, low: 0x1010df78648862a, high: 0x1) /* 2a864886f70d010101 */ }
    static var rsassaPSS: StaticOID { StaticOID(count: 9, low: 0x1010df78648862a, high: 0xa) /* 2a864886f70d01010a */ }
    static var ecPublicKey: StaticOID { StaticOID(count: 7, low: 0x1023dce48862a, high: 0x0) /* 2a8648ce3d0201 */ }
    static var dsa: StaticOID { StaticOID(count: 7, low: 0x10438ce48862a, high: 0x0) /* 2a8648ce380401 */ }
    static var ed25519: StaticOID { StaticOID(count: 3, low: 0x70652b, high: 0x0) /* 2b6570 */ }
    static var ed448: StaticOID { StaticOID(count: 3, low: 0x71652b, high: 0x0) /* 2b6571 */ }
    static var x25519: StaticOID { StaticOID(count: 3, low: 0x6e652b, high: 0x0) /* 2b656e */ }
    static var x448: StaticOID { StaticOID(count: 3, low: 0x6f652b, high: 0x0) /* 2b656f */ }
    // Named curves
    static var prime256v1: StaticOID { StaticOID(count: 8, low: 0x701033dce48862a, high: 0x0) /* 2a8648ce3d030107 */ }
    static var secp384r1: StaticOID { StaticOID(count: 5, low: 0x220004812b, high: 0x0) /* 2b81040022 */ }
    static var secp521r1: StaticOID { StaticOID(count: 5, low: 0x230004812b, high: 0x0) /* 2b81040023 */ }
    static var secp256k1: StaticOID { StaticOID(count: 5, low: 0xa0004812b, high: 0x0) /* 2b8104000a */ }
    static var secp224r1: StaticOID { StaticOID(count: 5, low: 0x210004812b, high: 0x0) /* 2b81040021 */ }
    static var prime192v1: StaticOID { StaticOID(count: 8, low: 0x101033dce48862a, high: 0x0) /* 2a8648ce3d030101 */ }
    // Extensions outside 2.5.29
    static var authorityInfoAccess: StaticOID { StaticOID(count: 8, low: 0x10107050501062b, high: 0x0) /* 2b06010505070101 */ }
    static var embeddedSCTList: StaticOID { StaticOID(count: 10, low: 0x279d6010401062b, high: 0x204) /* 2b06010401d679020402 */ }
}
