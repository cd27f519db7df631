import Wire

/// Walks the extension list once, decoding the extensions mitmwatch reads into the summary.
enum ExtensionParser {
    enum Kind: Int {
        case basicConstraints, keyUsage, extendedKeyUsage, subjectKeyIdentifier, authorityKeyIdentifier
        case subjectAltName, embeddedSCTs, authorityInfoAccess, crlDistributionPoints, certificatePolicies
        case other
    }

    static func kind(of oid: Span<UInt8>) -> Kind {
        if oid.count == 3 && oid[0] == 0x55 && oid[1] == 0x1d {  // 2.5.29.x
            switch oid[2] {
            case 19: return .basicConstraints
            case 15: return .keyUsage
            case 37: return .extendedKeyUsage
            case 14: return .subjectKeyIdentifier
            case 35: return .authorityKeyIdentifier
            case 17: return .subjectAltName
            case 31: return .crlDistributionPoints
            case 32: return .certificatePolicies
            default: return .other
            }
        }
        if OID.equals(oid, KnownOID.embeddedSCTList) { return .embeddedSCTs }
        if OID.equals(oid, KnownOID.authorityInfoAccess) { return .authorityInfoAccess }
        return .other
    }

    static func parse(_ list: ByteCursor, into layout: inout CertificateLayout) throws(X509ParseError) {
        var cursor = list
        var seen: UInt32 = 0
        while !cursor.isEmpty {
            guard var entry = cursor.readASN1(.sequence), let oid = entry.readASN1(.objectIdentifier) else {
                throw CertificateView.failure(cursor, "Extension SEQUENCE with an OID")
            }
            var critical = false
            if entry.peekASN1Tag() == .boolean {
                guard let flag = entry.readASN1(.boolean), flag.remaining == 1, let value = flag.peek(0) else {
                    throw CertificateView.failure(entry, "critical BOOLEAN")
                }
                critical = value != 0
            }
            guard let value = entry.readASN1(.octetString), entry.isEmpty else {
                throw CertificateView.failure(entry, "extnValue OCTET STRING")
            }
            layout.extensions.count += 1
            let kind = kind(of: oid.bytes)
            if kind == .other {
                if critical { layout.notes.insert(.unknownCriticalExtension) }
                if appearsEarlier(oid, in: list) { layout.notes.insert(.duplicateExtension) }
                continue
            }
            let bit: UInt32 = 1 << UInt32(kind.rawValue)
            guard seen & bit == 0 else {
                layout.notes.insert(.duplicateExtension)  // the first one counts
                continue
            }
            seen |= bit
            // Bytes after an extension's value make it malformed, but its value is still read, as
            // OpenSSL-based clients read it: an interceptor must not hide names from mitmwatch
            // that clients see.
            if !decode(kind, value, into: &layout.extensions) { layout.notes.insert(.malformedExtension) }
        }
    }

    private static func decode(_ kind: Kind, _ value: ByteCursor, into summary: inout ExtensionSummary) -> Bool {
        switch kind {
        case .basicConstraints: return BasicConstraints.decode(value, into: &summary)
        case .keyUsage: return KeyUsage.decode(value, into: &summary)
        case .extendedKeyUsage: return sequenceContents(value, into: &summary.extendedKeyUsage)
        case .subjectKeyIdentifier: return KeyIdentifiers.decodeSubject(value, into: &summary)
        case .authorityKeyIdentifier: return KeyIdentifiers.decodeAuthority(value, into: &summary)
        case .subjectAltName: return sequenceContents(value, into: &summary.subjectAltNames)
        case .embeddedSCTs: return SCTList.decode(value, into: &summary)
        case .authorityInfoAccess: return sequenceContents(value, into: &summary.authorityInfoAccess)
        case .crlDistributionPoints: return sequenceContents(value, into: &summary.crlDistributionPoints)
        case .certificatePolicies: return sequenceContents(value, into: &summary.certificatePolicies)
        case .other: return true
        }
    }

    /// For extensions whose value is one SEQUENCE read later on demand: record its contents.
    private static func sequenceContents(_ value: ByteCursor, into range: inout DERRange) -> Bool {
        var cursor = value
        guard let contents = cursor.readASN1(.sequence) else { return false }
        range = CertificateView.range(contents)
        return cursor.isEmpty
    }

    /// Whether an extension with the same OID comes before `oid` in the list.
    private static func appearsEarlier(_ oid: ByteCursor, in list: ByteCursor) -> Bool {
        var cursor = list
        while var entry = cursor.readASN1(.sequence), let other = entry.readASN1(.objectIdentifier) {
            if other.offset >= oid.offset { return false }
            if other.remaining == oid.remaining {
                var same = true
                for index in 0..<oid.remaining where other.peek(index) != oid.peek(index) {
                    same = false
                    break
                }
                if same { return true }
            }
        }
        return false
    }
}
