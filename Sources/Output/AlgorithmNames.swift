import Wire

/// Algorithm names as `CertificateDescription` gives them (Go's crypto/x509 names, which ECS
/// recommends), looked up by the OID's content octets so that an alert names an algorithm
/// without making its dotted text. OutputTests checks these against Detector's own tables.
enum AlgorithmNames {
    struct Entry {
        var oid: [UInt8]
        var name: StaticString
    }

    static let signature: [Entry] = entries([
        ("1.2.840.113549.1.1.2", "MD2-RSA"), ("1.2.840.113549.1.1.4", "MD5-RSA"), ("1.2.840.113549.1.1.5", "SHA1-RSA"),
        ("1.2.840.113549.1.1.11", "SHA256-RSA"), ("1.2.840.113549.1.1.12", "SHA384-RSA"),
        ("1.2.840.113549.1.1.13", "SHA512-RSA"), ("1.2.840.113549.1.1.14", "SHA224-RSA"),
        ("1.2.840.113549.1.1.10", "RSASSA-PSS"),
        ("1.2.840.10040.4.3", "DSA-SHA1"), ("2.16.840.1.101.3.4.3.2", "DSA-SHA256"),
        ("1.2.840.10045.4.1", "ECDSA-SHA1"), ("1.2.840.10045.4.3.2", "ECDSA-SHA256"),
        ("1.2.840.10045.4.3.3", "ECDSA-SHA384"), ("1.2.840.10045.4.3.4", "ECDSA-SHA512"),
        ("1.3.101.112", "Ed25519"), ("1.3.101.113", "Ed448"),
        ("1.2.643.7.1.1.3.2", "GOST2012-256"), ("1.2.643.7.1.1.3.3", "GOST2012-512"),
        ("2.16.840.1.101.3.4.3.17", "ML-DSA-44"), ("2.16.840.1.101.3.4.3.18", "ML-DSA-65"),
        ("2.16.840.1.101.3.4.3.19", "ML-DSA-87"),
    ])

    static let publicKey: [Entry] = entries([
        ("1.2.840.113549.1.1.1", "RSA"), ("1.2.840.113549.1.1.10", "RSA-PSS"), ("1.2.840.10045.2.1", "ECDSA"),
        ("1.2.840.10040.4.1", "DSA"), ("1.3.101.112", "Ed25519"), ("1.3.101.113", "Ed448"), ("1.3.101.110", "X25519"),
        ("1.3.101.111", "X448"), ("1.2.643.7.1.1.1.1", "GOST2012-256"), ("1.2.643.7.1.1.1.2", "GOST2012-512"),
        ("2.16.840.1.101.3.4.3.17", "ML-DSA-44"), ("2.16.840.1.101.3.4.3.18", "ML-DSA-65"),
        ("2.16.840.1.101.3.4.3.19", "ML-DSA-87"),
    ])

    static func name(_ oid: Span<UInt8>, in table: [Entry]) -> StaticString? {
        for entry in table where entry.oid.span.bytesEqual(oid) { return entry.name }
        return nil
    }

    private static func entries(_ list: [(String, StaticString)]) -> [Entry] {
        list.map { Entry(oid: contents(dotted: $0.0), name: $0.1) }
    }

    /// DER content octets of a dotted OID (for the fixed tables above).
    static func contents(dotted: String) -> [UInt8] {
        let arcs = dotted.split(separator: ".").map { UInt64($0)! }
        var out: [UInt8] = []
        for arc in [arcs[0] * 40 + arcs[1]] + arcs.dropFirst(2) {
            var chunk: [UInt8] = [UInt8(arc & 0x7f)]
            var rest = arc >> 7
            while rest > 0 {
                chunk.insert(UInt8(rest & 0x7f) | 0x80, at: 0)
                rest >>= 7
            }
            out += chunk
        }
        return out
    }
}

extension JSONBuffer {
    /// A quoted algorithm: its name from `table`, else its dotted OID (`?` when the OID is not
    /// valid), as `CertificateDescription`'s `…Name ?? …OID`.
    mutating func algorithm(_ oid: Span<UInt8>, in table: [AlgorithmNames.Entry]) {
        appendByte(UInt8(ascii: "\""))
        if let name = AlgorithmNames.name(oid, in: table) {
            appendStatic(name)
        } else {
            dottedOID(oid)
        }
        appendByte(UInt8(ascii: "\""))
    }

    /// The dotted text of OID content octets, as `OID.dotted`, or `?` where that gives nil.
    mutating func dottedOID(_ contents: Span<UInt8>) {
        let start = count
        guard !contents.isEmpty, contents[contents.count - 1] & 0x80 == 0 else {
            appendByte(UInt8(ascii: "?"))
            return
        }
        var value: UInt64 = 0
        var first = true, arcStart = true
        for index in 0..<contents.count {
            let byte = contents[index]
            // A leading zero digit (not minimal) or an arc beyond 64 bits: not an OID.
            if (arcStart && byte == 0x80) || value > (UInt64.max >> 7) {
                truncate(to: start)
                appendByte(UInt8(ascii: "?"))
                return
            }
            arcStart = false
            value = value << 7 | UInt64(byte & 0x7f)
            guard byte & 0x80 == 0 else { continue }
            if first {
                let top: UInt64 = value < 40 ? 0 : value < 80 ? 1 : 2
                uint64(top)
                appendByte(UInt8(ascii: "."))
                uint64(value - top * 40)
                first = false
            } else {
                appendByte(UInt8(ascii: "."))
                uint64(value)
            }
            value = 0
            arcStart = true
        }
    }
}
