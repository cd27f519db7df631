import Foundation

/// Certificates made from a real one (`key-p256`, made by `openssl req`) by changing one element
/// and re-wrapping every enclosing length, for what the generator script does not make: times at
/// the ends of GeneralizedTime's range and on impossible days, Names and AlgorithmIdentifiers
/// whose inner lengths are one byte off, BER indefinite lengths. Signatures are not redone: no
/// side of the differential test checks them.
enum CraftedCertificates {
    static func all() throws -> [SourcedCertificate] {
        let template = try Template(HostileInputTests.fixture("key-p256"))
        var crafted: [(String, [UInt8])] = []

        // Times: both sides' seconds and dates are compared (not_after, not_after_text).
        for time in times {
            crafted.append(("time-\(time)", template.with(validity: DER.sequence(Self.time("U200101000000Z"), Self.time(time)))))
        }

        // Names whose inner lengths disagree: the Name's own length stays right, so only a
        // parser that reads inside the Name sees it. OpenSSL rejects every one.
        let set = template.issuerRDNs[0]  // 31 L 30 L 06 03 55 04 03 0c L "key p256"
        let valueLength = 2 + 2 + 5 + 1
        guard set.count > valueLength, set[valueLength - 1] == 0x0c else { throw CocoaError(.coderInvalidValue) }
        for (name, index, delta) in [("value", valueLength, 1), ("value", valueLength, -1), ("rdn-set", 1, 1),
                                     ("rdn-set", 1, -1), ("attribute", 3, 1), ("attribute", 3, -1)] {
            var changed = set
            changed[index] = UInt8(Int(changed[index]) + delta)
            let issuer = DER.tlv(0x30, changed + template.issuerRDNs.dropFirst().flatMap { $0 })
            crafted.append(("issuer-\(name)-length-\(delta > 0 ? "plus" : "minus")-one", template.with(issuer: issuer)))
            crafted.append(("subject-\(name)-length-\(delta > 0 ? "plus" : "minus")-one", template.with(subject: issuer)))
        }

        // AlgorithmIdentifier parameters longer than their SEQUENCE, or two of them.
        let signatureOID = DER.oid([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02])
        for (name, algorithm) in [("parameter-too-long", DER.sequence(signatureOID, [0x05, 0x01])),
                                  ("two-parameters", DER.sequence(signatureOID, [0x05, 0x00, 0x05, 0x00]))] {
            crafted.append(("signature-algorithm-\(name)", template.with(outerAlgorithm: algorithm)))
            crafted.append(("tbs-signature-algorithm-\(name)", template.with(tbsAlgorithm: algorithm)))
        }
        let keyAlgorithm = DER.children(DER.contents(template.fields[template.first + 5]))[0]
        let keyParts = DER.children(DER.contents(keyAlgorithm))  // id-ecPublicKey, prime256v1
        var longCurve = keyParts[1]
        longCurve[1] += 1
        crafted.append(("spki-algorithm-parameter-too-long", template.with(keyAlgorithm: DER.tlv(0x30, keyParts[0] + longCurve))))
        crafted.append(("spki-algorithm-two-parameters", template.with(keyAlgorithm: DER.sequence(keyParts[0], keyParts[1], [0x05, 0x00]))))

        // BER indefinite lengths (`80`, closed by `00 00`), which OpenSSL accepts.
        crafted.append(("indefinite-issuer", template.with(issuer: DER.indefinite(0x30, template.issuerRDNs.flatMap { $0 }))))
        crafted.append(("indefinite-issuer-rdn-set", template.with(
            issuer: DER.tlv(0x30, DER.indefinite(0x31, DER.contents(set)) + template.issuerRDNs.dropFirst().flatMap { $0 }))))
        crafted.append(("indefinite-validity", template.with(
            validity: DER.indefinite(0x30, Self.time("U200101000000Z") + Self.time("G99991231235959Z")))))
        crafted.append(("indefinite-tbs", template.assemble(tbs: DER.indefinite(0x30, template.fields.flatMap { $0 }))))
        crafted.append(("indefinite-certificate", DER.indefinite(0x30, template.tbs + template.algorithm + template.signature)))

        return crafted.map { SourcedCertificate(source: "crafted", name: $0.0, der: $0.1) }
    }

    /// notAfter values: RFC 5280's 99991231235959Z, the ends of GeneralizedTime's years and of a
    /// nanosecond Int64 (1677-09-21, 2262-04-11), leap days that exist (2000, 1600, 0000) and do
    /// not (1900, 2100), April 31, UTCTime's century switch, and zone offsets OpenSSL applies only
    /// between 1900 and 9999.
    static let times = [
        "G99991231235959Z", "G00010101000000Z", "G00000101000000Z", "G00000229120000Z", "G16000229000000Z",
        "G16770921001243Z", "G16770101000000Z", "G22620411234716Z", "G22620412000000Z", "G22630101000000Z",
        "G20000229235959Z", "G19000229000000Z", "G21000229000000Z", "G20230431000000Z", "G20231301000000Z",
        "U500101000000Z", "U491231235959Z", "U991231235959Z", "U000229000000Z", "U990229000000Z",
        "G18000101000000+0000", "G19000101010000+0100", "G19000101000000+0100", "G99991231235959-0100",
    ]

    /// `G…` for a GeneralizedTime, `U…` for a UTCTime.
    static func time(_ text: String) -> [UInt8] {
        DER.tlv(text.hasPrefix("G") ? 0x18 : 0x17, Array(text.dropFirst().utf8))
    }

    /// A certificate taken apart into its TBSCertificate's fields (each whole) and the rest.
    struct Template {
        var fields: [[UInt8]]
        var algorithm: [UInt8]
        var signature: [UInt8]
        /// Index of the serial number in `fields` (1 when there is a version, else 0).
        var first: Int

        init(_ der: [UInt8]) throws {
            let parts = DER.children(DER.contents(der))
            guard parts.count == 3 else { throw CocoaError(.coderInvalidValue) }
            fields = DER.children(DER.contents(parts[0]))
            algorithm = parts[1]
            signature = parts[2]
            first = fields.first?.first == 0xa0 ? 1 : 0
        }

        var tbs: [UInt8] { DER.tlv(0x30, fields.flatMap { $0 }) }
        var issuerRDNs: [[UInt8]] { DER.children(DER.contents(fields[first + 2])) }

        func assemble(tbs: [UInt8], algorithm: [UInt8]? = nil) -> [UInt8] {
            DER.tlv(0x30, tbs + (algorithm ?? self.algorithm) + signature)
        }

        func replacing(_ offset: Int, _ element: [UInt8]) -> [UInt8] {
            var changed = fields
            changed[first + offset] = element
            return assemble(tbs: DER.tlv(0x30, changed.flatMap { $0 }))
        }

        func with(tbsAlgorithm: [UInt8]) -> [UInt8] { replacing(1, tbsAlgorithm) }
        func with(issuer: [UInt8]) -> [UInt8] { replacing(2, issuer) }
        func with(validity: [UInt8]) -> [UInt8] { replacing(3, validity) }
        func with(subject: [UInt8]) -> [UInt8] { replacing(4, subject) }
        func with(outerAlgorithm: [UInt8]) -> [UInt8] { assemble(tbs: tbs, algorithm: outerAlgorithm) }

        func with(keyAlgorithm: [UInt8]) -> [UInt8] {
            let key = DER.children(DER.contents(fields[first + 5]))[1]
            return replacing(5, DER.tlv(0x30, keyAlgorithm + key))
        }
    }
}

extension DER {
    /// Header length of a definite-length element with a one-byte tag.
    static func headerLength(_ element: ArraySlice<UInt8>) -> Int {
        let lengthByte = element[element.startIndex + 1]
        return lengthByte < 0x80 ? 2 : 2 + Int(lengthByte & 0x7f)
    }

    static func contentLength(_ element: ArraySlice<UInt8>) -> Int {
        let lengthByte = element[element.startIndex + 1]
        guard lengthByte >= 0x80 else { return Int(lengthByte) }
        return element.dropFirst(2).prefix(Int(lengthByte & 0x7f)).reduce(0) { $0 << 8 | Int($1) }
    }

    /// The contents of one well-formed definite-length element.
    static func contents(_ element: [UInt8]) -> [UInt8] {
        let slice = element[...]
        return Array(slice.dropFirst(headerLength(slice)).prefix(contentLength(slice)))
    }

    /// The elements one after the other in well-formed contents, each whole.
    static func children(_ contents: [UInt8]) -> [[UInt8]] {
        var rest = contents[...]
        var elements: [[UInt8]] = []
        while !rest.isEmpty {
            let size = headerLength(rest) + contentLength(rest)
            elements.append(Array(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        return elements
    }

    /// BER's indefinite form: tag, `80`, the contents, end-of-contents `00 00`.
    static func indefinite(_ tag: UInt8, _ contents: [UInt8]) -> [UInt8] { [tag, 0x80] + contents + [0, 0] }
}
