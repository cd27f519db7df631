import Detector
import Wire
import Certificates

/// ECS `x509.*` of an alert's leaf, written from the certificate's bytes where they lie: the
/// layout's ranges give the serial, the validity, the key and the algorithms; names and
/// alternative names are walked in the DER and their strings transcoded straight into the line.
/// The same text `CertificateDescription` gives, without making one (it hashes the certificate
/// three times and turns every field into strings).
enum LeafCertificateFields {
    /// Alternative names an alert lists (a certificate may carry thousands).
    static let maxAlternativeNames = 100

    /// `subjectName`/`issuerName`: the RFC 2253 names when already made (the certificate
    /// cache holds them for every certificate it parsed); made from the DER otherwise.
    static func write(_ view: borrowing CertificateView, subjectName: String?, issuerName: String?,
                      into json: inout JSONBuffer) {
        let layout = view.layout
        json.beginObject("x509")
        json.key("serial_number")
        json.hexString(view.bytes(layout.serial), uppercase: true)
        json.beginObject("subject")
        json.field("distinguished_name", subjectName ?? DistinguishedName.rfc2253(view.bytes(layout.subject)) ?? "")
        commonNames(view.bytes(layout.subject), into: &json)
        json.endObject()
        json.beginObject("issuer")
        json.field("distinguished_name", issuerName ?? DistinguishedName.rfc2253(view.bytes(layout.issuer)) ?? "")
        commonNames(view.bytes(layout.issuer), into: &json)
        json.endObject()
        json.field("not_before", dateSeconds: layout.notBefore)
        json.field("not_after", dateSeconds: layout.notAfter)
        alternativeNames(view.bytes(layout.extensions.subjectAltNames), into: &json)
        json.key("public_key_algorithm")
        json.algorithm(view.bytes(layout.publicKeyAlgorithm), in: AlgorithmNames.publicKey)
        json.field("public_key_size", layout.publicKeySize)
        json.field("public_key_exponent", layout.rsaExponent)
        json.key("signature_algorithm")
        json.algorithm(view.bytes(layout.signatureAlgorithm), in: AlgorithmNames.signature)
        json.endObject()
    }

    /// `common_name`: every commonName (2.5.4.3) value of a Name in encoded order, left out when
    /// there is none. A malformed Name gives the values before the fault, as
    /// `DistinguishedName.values` does.
    static func commonNames(_ name: Span<UInt8>, into json: inout JSONBuffer) {
        var outer = ByteCursor(name)
        guard var rdns = outer.readASN1(.sequence), outer.isEmpty else { return }
        var opened = false
        walk: while !rdns.isEmpty {
            guard var set = rdns.readASN1(.set) else { break }
            while !set.isEmpty {
                guard var pair = set.readASN1(.sequence), let type = pair.readASN1(.objectIdentifier),
                      let value = pair.readASN1Element(), pair.isEmpty
                else { break walk }
                guard type.remaining == 3, type.peek(0) == 0x55, type.peek(1) == 0x04, type.peek(2) == 0x03 else { continue }
                if !opened {
                    json.beginArray("common_name")
                    opened = true
                }
                json.separate()
                directoryString(tag: value.tag.raw, value.contents.bytes, into: &json)
            }
        }
        if opened { json.endArray() }
    }

    /// An attribute value as text, as `DistinguishedName.decodedText`: UTF-8 (validated),
    /// UTF-16BE for BMPString, UTF-32BE for UniversalString, Latin-1 for the rest.
    static func directoryString(tag: UInt32, _ value: Span<UInt8>, into json: inout JSONBuffer) {
        switch tag {
        case 30: json.utf16BEString(value)
        case 28: json.utf32BEString(value)
        case 12: json.utf8String(value)
        default: json.latin1String(value)
        }
    }

    /// `alternative_names`: the subjectAltName entries that have a text form (DNS names, emails
    /// and URIs as Latin-1, IP addresses as OpenSSL prints them), the first `maxAlternativeNames`
    /// of them; left out when there is none. A malformed entry ends the list.
    static func alternativeNames(_ contents: Span<UInt8>, into json: inout JSONBuffer) {
        var cursor = ByteCursor(contents)
        var written = 0
        while !cursor.isEmpty && written < maxAlternativeNames {
            guard let element = cursor.readASN1Element() else { break }
            let tag = element.tag.raw
            guard tag & 0xc0 == 0x80, let kind = GeneralNameKind(rawValue: UInt8(tag & 0x1f)) else { break }
            let value = element.contents
            switch kind {
            case .email, .dns, .uri:
                if written == 0 { json.beginArray("alternative_names") }
                json.separate()
                json.latin1String(value.bytes)
            case .ipAddress where value.remaining == 4 || value.remaining == 16:
                if written == 0 { json.beginArray("alternative_names") }
                json.separate()
                ipAddressText(value.bytes, into: &json)
            default:
                continue
            }
            written += 1
        }
        if written > 0 { json.endArray() }
    }

    /// A SAN IP address: dotted quad, or eight uncompressed uppercase groups (as OpenSSL prints it).
    private static func ipAddressText(_ bytes: Span<UInt8>, into json: inout JSONBuffer) {
        json.appendByte(UInt8(ascii: "\""))
        if bytes.count == 4 {
            for index in 0..<4 {
                if index > 0 { json.appendByte(UInt8(ascii: ".")) }
                json.uint64(UInt64(bytes[index]))
            }
        } else {
            for group in 0..<8 {
                if group > 0 { json.appendByte(UInt8(ascii: ":")) }
                let value = UInt16(bytes[2 * group]) << 8 | UInt16(bytes[2 * group + 1])
                var shift: UInt16 = 12
                while shift > 0 && value >> shift == 0 { shift -= 4 }
                while true {
                    json.appendByte(HexDigits.upper(UInt8(value >> shift & 0x0f)))
                    if shift == 0 { break }
                    shift -= 4
                }
            }
        }
        json.appendByte(UInt8(ascii: "\""))
    }
}
