import Wire

/// GeneralName (RFC 5280 §4.2.1.6) entries, as found in subjectAltName, AIA and CRL DPs.
public enum GeneralNameKind: UInt8, Sendable {
    case otherName = 0, email = 1, dns = 2, x400Address = 3, directoryName = 4, ediPartyName = 5
    case uri = 6, ipAddress = 7, registeredID = 8
}

enum GeneralNames {
    /// Calls `body` with each GeneralName in a sequence's contents; false when malformed.
    static func forEach(_ contents: Span<UInt8>, _ body: (GeneralNameKind, Span<UInt8>) -> Void) -> Bool {
        var cursor = ByteCursor(contents)
        while !cursor.isEmpty {
            guard let element = cursor.readASN1Element() else { return false }
            let tag = element.tag.raw
            guard tag & 0xc0 == 0x80, let kind = GeneralNameKind(rawValue: UInt8(tag & 0x1f)) else { return false }
            body(kind, element.contents.bytes)
        }
        return true
    }

    /// Text of a GeneralName value: IA5 strings as they are, IP addresses in their usual form.
    static func text(_ kind: GeneralNameKind, _ value: Span<UInt8>) -> String? {
        switch kind {
        case .email, .dns, .uri:
            return DistinguishedName.decodedText(tag: 22, value)
        case .ipAddress:
            var cursor = ByteCursor(value)
            if value.count == 4, let v4 = cursor.readUInt32() {
                return IPText.ipv4(v4)
            }
            if value.count == 16 {
                var groups: [UInt16] = []
                while let group = cursor.readUInt16() { groups.append(group) }
                return IPText.ipv6(groups)
            }
            return nil
        default:
            return nil
        }
    }
}

enum IPText {
    static func ipv4(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    /// OpenSSL prints IPv6 SANs as eight uncompressed uppercase groups; mitmwatch does too, so
    /// the text compares equal with `openssl x509 -text`.
    static func ipv6(_ groups: [UInt16]) -> String {
        groups.map { String($0, radix: 16, uppercase: true) }.joined(separator: ":")
    }
}
