import Wire

/// keyUsage (2.5.29.15): a named BIT STRING; bit 0 is digitalSignature.
enum KeyUsage {
    static let names = [
        "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement",
        "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly",
    ]

    static func decode(_ value: ByteCursor, into summary: inout ExtensionSummary) -> Bool {
        var outer = value
        guard var bits = outer.readASN1(.bitString), let unused = bits.readUInt8(), unused <= 7
        else { return false }
        var usage: UInt16 = 0
        var index = 0
        while let byte = bits.readUInt8() {
            for bit in 0..<8 where byte & (0x80 >> bit) != 0 && index * 8 + bit < 16 {
                usage |= 1 << UInt16(index * 8 + bit)
            }
            index += 1
        }
        summary.keyUsage = usage
        return outer.isEmpty
    }
}
