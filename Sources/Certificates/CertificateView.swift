import Wire

/// A certificate read in place: the DER stays where it lies (a flow's reassembly buffer, a
/// file), and the view records where each field is. No copy and no heap allocation.
///
/// Strict where it matters — only DER lengths (no BER indefinite or non-minimal ones), no trailing
/// bytes, every structure must close exactly, Names and AlgorithmIdentifiers included — and
/// lenient where real CAs are sloppy: odd serials, empty names, legacy string types and duplicate
/// extensions become `notes`.
public struct CertificateView: ~Escapable {
    public let der: Span<UInt8>
    public let layout: CertificateLayout

    @_lifetime(copy der)
    public init(der: Span<UInt8>) throws(X509ParseError) {
        self.der = der
        var layout = CertificateLayout()
        try Self.parse(ByteCursor(der), into: &layout)
        self.layout = layout
    }

    /// The bytes of a range taken from `layout` (empty for an absent field).
    @_lifetime(copy self)
    public func bytes(_ range: DERRange) -> Span<UInt8> {
        guard range.isPresent, Int(range.start) + Int(range.count) <= der.count else {
            return der.extracting(0..<0)
        }
        return der.extracting(Int(range.start)..<Int(range.start) + Int(range.count))
    }

    // MARK: Parsing

    static func parse(_ input: ByteCursor, into layout: inout CertificateLayout) throws(X509ParseError) {
        var top = input
        guard var certificate = top.readASN1(.sequence) else { throw failure(top, "Certificate SEQUENCE") }
        guard top.isEmpty else { throw failure(top, "end of data after the Certificate") }
        guard let tbsElement = certificate.readASN1Encoded() else { throw failure(certificate, "TBSCertificate") }
        layout.tbs = range(tbsElement)
        var tbsOuter = tbsElement
        guard var tbs = tbsOuter.readASN1(.sequence) else { throw failure(tbsOuter, "TBSCertificate SEQUENCE") }
        try parseTBS(&tbs, into: &layout)

        guard var algorithm = certificate.readASN1(.sequence), let oid = algorithm.readASN1(.objectIdentifier)
        else { throw failure(certificate, "signatureAlgorithm") }
        try checkParameters(algorithm, "signatureAlgorithm parameters")
        layout.signatureAlgorithm = range(oid)
        guard var signature = certificate.readASN1(.bitString), signature.readUInt8() == 0 else {
            throw failure(certificate, "signatureValue BIT STRING")
        }
        layout.signatureValue = range(signature)
        guard certificate.isEmpty else { throw failure(certificate, "end of Certificate") }
        if !spansEqual(input, layout.signatureAlgorithm, layout.tbsSignatureAlgorithm) {
            layout.notes.insert(.signatureAlgorithmMismatch)
        }
    }

    private static func parseTBS(_ tbs: inout ByteCursor, into layout: inout CertificateLayout) throws(X509ParseError) {
        if tbs.peekASN1Tag() == .context(0, constructed: true) {
            guard var explicit = tbs.readASN1(.context(0, constructed: true)),
                  let integer = explicit.readASN1(.integer), integer.remaining == 1, explicit.isEmpty,
                  let value = integer.peek(0), value <= 2
            else { throw failure(tbs, "version 0, 1 or 2") }
            layout.version = Int(value) + 1
        }
        guard let serial = tbs.readASN1(.integer) else { throw failure(tbs, "serialNumber INTEGER") }
        layout.serial = range(serial)
        noteSerial(serial, &layout.notes)

        guard var algorithm = tbs.readASN1(.sequence), let oid = algorithm.readASN1(.objectIdentifier) else {
            throw failure(tbs, "signature AlgorithmIdentifier")
        }
        try checkParameters(algorithm, "signature AlgorithmIdentifier parameters")
        layout.tbsSignatureAlgorithm = range(oid)

        guard tbs.peekASN1Tag() == .sequence, let issuer = tbs.readASN1Encoded() else { throw failure(tbs, "issuer Name") }
        try checkName(issuer, "issuer")
        layout.issuer = range(issuer)
        if issuer.remaining == 2 { layout.notes.insert(.emptyIssuer) }

        guard var validity = tbs.readASN1(.sequence) else { throw failure(tbs, "Validity SEQUENCE") }
        var unusual = false
        guard let notBefore = ASN1Time.read(&validity, unusual: &unusual) else { throw failure(validity, "notBefore time") }
        guard let notAfter = ASN1Time.read(&validity, unusual: &unusual), validity.isEmpty else {
            throw failure(validity, "notAfter time")
        }
        layout.notBefore = notBefore
        layout.notAfter = notAfter
        if unusual { layout.notes.insert(.unusualTime) }
        if notAfter < notBefore { layout.notes.insert(.invertedValidity) }

        guard tbs.peekASN1Tag() == .sequence, let subject = tbs.readASN1Encoded() else { throw failure(tbs, "subject Name") }
        try checkName(subject, "subject")
        layout.subject = range(subject)
        if subject.remaining == 2 { layout.notes.insert(.emptySubject) }

        guard let spki = tbs.readASN1Encoded() else { throw failure(tbs, "SubjectPublicKeyInfo") }
        try parseSubjectPublicKeyInfo(spki, into: &layout)

        // issuerUniqueID [1] and subjectUniqueID [2] (IMPLICIT BIT STRING): skipped.
        for number: UInt8 in 1...2 where tbs.peekASN1Tag() == .context(number, constructed: false) {
            _ = tbs.readASN1Element()
        }
        if tbs.peekASN1Tag() == .context(3, constructed: true) {
            guard var explicit = tbs.readASN1(.context(3, constructed: true)),
                  let list = explicit.readASN1(.sequence), explicit.isEmpty
            else { throw failure(tbs, "Extensions SEQUENCE") }
            layout.extensionList = range(list)
            if layout.version < 3 { layout.notes.insert(.extensionsBeforeV3) }
            try ExtensionParser.parse(list, into: &layout)
        }
        guard tbs.isEmpty else { throw failure(tbs, "end of TBSCertificate") }
    }

    private static func parseSubjectPublicKeyInfo(_ element: ByteCursor, into layout: inout CertificateLayout) throws(X509ParseError) {
        layout.subjectPublicKeyInfo = range(element)
        var outer = element
        guard var spki = outer.readASN1(.sequence), var algorithm = spki.readASN1(.sequence),
              let oid = algorithm.readASN1(.objectIdentifier)
        else { throw failure(outer, "SubjectPublicKeyInfo algorithm") }
        layout.publicKeyAlgorithm = range(oid)
        let parameters = algorithm.readRest()
        try checkParameters(parameters, "SubjectPublicKeyInfo algorithm parameters")
        layout.publicKeyParameters = range(parameters)
        guard var key = spki.readASN1(.bitString), key.readUInt8() == 0, spki.isEmpty else {
            throw failure(spki, "subjectPublicKey BIT STRING")
        }
        layout.publicKey = range(key)
        var curve: Span<UInt8>? = nil
        var parameterCursor = parameters
        if let named = parameterCursor.readASN1(.objectIdentifier) { curve = named.bytes }
        layout.publicKeySize = PublicKeyInfo.keySize(algorithm: oid.bytes, parameters: curve, key: key.bytes)
        if OID.equals(oid.bytes, KnownOID.rsaEncryption) {
            layout.rsaExponent = PublicKeyInfo.rsaExponent(key: key.bytes)
        } else if OID.equals(oid.bytes, KnownOID.dsa) {
            layout.publicKeySize = PublicKeyInfo.dsaPrimeBits(parametersElement: parameters.bytes)
        } else if OID.equals(oid.bytes, KnownOID.ecPublicKey), curve == nil {
            layout.publicKeySize = PublicKeyInfo.ecExplicitOrderBits(parametersElement: parameters.bytes)
        }
    }

    /// What follows an AlgorithmIdentifier's OID: nothing, or exactly one element (`parameters
    /// ANY OPTIONAL`). A parameter longer than the SEQUENCE, or a second one, is malformed.
    private static func checkParameters(_ rest: ByteCursor, _ expected: String) throws(X509ParseError) {
        var cursor = rest
        if !cursor.isEmpty, cursor.readASN1Element() == nil { throw failure(cursor, expected) }
        guard cursor.isEmpty else { throw failure(cursor, expected) }
    }

    /// A Name's inner structure must hold together (`NameStructure`): checked here, in the one
    /// pass over the certificate, although its values are only read on demand.
    private static func checkName(_ name: ByteCursor, _ which: String) throws(X509ParseError) {
        if let problem = NameStructure.walk(name, { _, _, _, _, _ in }) {
            throw X509ParseError(offset: problem.offset, expected: problem.expected + " in the " + which)
        }
    }

    private static func noteSerial(_ serial: ByteCursor, _ notes: inout CertificateNotes) {
        guard let first = serial.peek(0) else {
            notes.insert(.zeroOrEmptySerial)
            return
        }
        if first & 0x80 != 0 { notes.insert(.negativeSerial) }
        let significant = serial.remaining - (first == 0 && serial.remaining > 1 ? 1 : 0)
        if significant > 20 { notes.insert(.longSerial) }
        if serial.remaining == 1 && first == 0 { notes.insert(.zeroOrEmptySerial) }
    }

    static func range(_ cursor: ByteCursor) -> DERRange {
        DERRange(start: cursor.offset, count: cursor.remaining)
    }

    static func failure(_ cursor: ByteCursor, _ expected: String) -> X509ParseError {
        X509ParseError(offset: cursor.offset, expected: expected)
    }

    private static func spansEqual(_ input: ByteCursor, _ a: DERRange, _ b: DERRange) -> Bool {
        let bytes = input.bytes
        guard a.count == b.count, a.isPresent, Int(a.start) + Int(a.count) <= bytes.count,
              Int(b.start) + Int(b.count) <= bytes.count else { return false }
        let first = Int(a.start), second = Int(b.start)
        for index in 0..<Int(a.count) where bytes[first + index] != bytes[second + index] { return false }
        return true
    }
}
