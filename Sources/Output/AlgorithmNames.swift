import Wire
import Certificates

/// The certificate module's algorithm names (Go's crypto/x509 names, which ECS recommends),
/// looked up by the OID's content octets so that an alert names an algorithm without making its
/// dotted text.
enum AlgorithmNames {
    struct Entry {
        var oid: [UInt8]
        var name: StaticString
    }

    static let signature: [Entry] = entries(Certificates.AlgorithmNames.signatureList)
    static let publicKey: [Entry] = entries(Certificates.AlgorithmNames.publicKeyList)

    static func name(_ oid: Span<UInt8>, in table: [Entry]) -> StaticString? {
        for entry in table where entry.oid.span.bytesEqual(oid) { return entry.name }
        return nil
    }

    private static func entries(_ list: [(dotted: String, name: StaticString)]) -> [Entry] {
        list.map { Entry(oid: contents(dotted: $0.dotted), name: $0.name) }
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
