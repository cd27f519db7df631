import Wire

/// The structure of a Name (RFC 5280 §4.1.2.4): a SEQUENCE of RelativeDistinguishedName SETs, each
/// holding AttributeTypeAndValue SEQUENCEs of an OID and exactly one value of any type.
///
/// The one walk over it: the view checks every Name with it while parsing (one pass, no
/// allocation), so a Name whose inner lengths disagree with each other — an RDN or a value one
/// byte off — rejects the certificate, as it does in OpenSSL, BoringSSL and mozilla::pkix; and
/// the readers (`DistinguishedName`) walk accepted Names with it. Values are not checked: their
/// string types are read leniently, on demand.
enum NameStructure {
    /// Calls `body` with every attribute in encoded order — its RDN's index, its type OID, the
    /// value's tag, contents and whole encoding. Returns nil for a well-formed Name, else where
    /// it breaks (offset in the bytes the cursor came from) and what was expected there.
    @inline(__always)
    static func walk(
        _ name: ByteCursor,
        _ body: (_ rdn: Int, _ type: Span<UInt8>, _ tag: UInt32, _ value: Span<UInt8>, _ encoded: Span<UInt8>) -> Void
    ) -> (offset: Int, expected: String)? {
        var outer = name
        guard var rdns = outer.readASN1(.sequence) else { return (outer.offset, "Name SEQUENCE") }
        guard outer.isEmpty else { return (outer.offset, "end of Name") }
        var rdnIndex = 0
        while !rdns.isEmpty {
            guard var set = rdns.readASN1(.set) else { return (rdns.offset, "RelativeDistinguishedName SET") }
            while !set.isEmpty {
                guard var pair = set.readASN1(.sequence) else { return (set.offset, "AttributeTypeAndValue SEQUENCE") }
                guard let type = pair.readASN1(.objectIdentifier) else { return (pair.offset, "attribute type OID") }
                // The value is read once; its whole encoding is the bytes that read consumed.
                var whole = pair
                guard let value = pair.readASN1Element(), let encoded = whole.read(pair.offset - whole.offset) else {
                    return (pair.offset, "attribute value")
                }
                guard pair.isEmpty else { return (pair.offset, "end of AttributeTypeAndValue") }
                body(rdnIndex, type.bytes, value.tag.raw, value.contents.bytes, encoded.bytes)
            }
            rdnIndex += 1
        }
        return nil
    }
}
