/// DER (ITU-T X.690 distinguished encoding) reading on top of ``ByteCursor``.
///
/// Only what DER allows is accepted: definite lengths in their shortest form and single-byte or
/// multi-byte tags. Indefinite lengths (BER) and lengths past the end fail.
@frozen
public struct ASN1Tag: Equatable, Sendable, CustomStringConvertible {
    public var raw: UInt32
    @inlinable public init(_ raw: UInt32) { self.raw = raw }

    @inlinable public static var boolean: ASN1Tag { ASN1Tag(0x01) }
    @inlinable public static var integer: ASN1Tag { ASN1Tag(0x02) }
    @inlinable public static var bitString: ASN1Tag { ASN1Tag(0x03) }
    @inlinable public static var octetString: ASN1Tag { ASN1Tag(0x04) }
    @inlinable public static var null: ASN1Tag { ASN1Tag(0x05) }
    @inlinable public static var objectIdentifier: ASN1Tag { ASN1Tag(0x06) }
    @inlinable public static var sequence: ASN1Tag { ASN1Tag(0x30) }
    @inlinable public static var set: ASN1Tag { ASN1Tag(0x31) }

    /// Context-specific tag `[number]`, constructed or primitive.
    @inlinable
    public static func context(_ number: UInt8, constructed: Bool) -> ASN1Tag {
        ASN1Tag(UInt32(0x80 | (constructed ? 0x20 : 0) | (number & 0x1f)))
    }

    public var description: String { "0x" + String(raw, radix: 16) }
}

extension ByteCursor {
    /// The tag of the next element, without consuming it.
    @inlinable @inline(__always)
    public func peekASN1Tag() -> ASN1Tag? {
        asn1Header().map { ASN1Tag($0.tag) }
    }

    /// Reads one element of any tag; returns its tag and a cursor over its contents.
    @_lifetime(copy self)
    @_lifetime(self: copy self)
    @inlinable @inline(__always)
    public mutating func readASN1Element() -> (tag: ASN1Tag, contents: ByteCursor)? {
        guard let header = asn1Header() else { return nil }
        return (ASN1Tag(header.tag), consumeElement(header, keepHeader: false))
    }

    /// Reads one element that must carry `tag`; returns a cursor over its contents.
    @_lifetime(copy self)
    @_lifetime(self: copy self)
    @inlinable @inline(__always)
    public mutating func readASN1(_ tag: ASN1Tag) -> ByteCursor? {
        guard let header = asn1Header(), header.tag == tag.raw else { return nil }
        return consumeElement(header, keepHeader: false)
    }

    /// Reads the next element whole — header included — as a cursor (e.g. a TBSCertificate
    /// whose exact encoded bytes are needed for signatures and hashing).
    @_lifetime(copy self)
    @_lifetime(self: copy self)
    @inlinable @inline(__always)
    public mutating func readASN1Encoded() -> ByteCursor? {
        guard let header = asn1Header() else { return nil }
        return consumeElement(header, keepHeader: true)
    }

    /// Consumes an element whose header `asn1Header()` has validated (it fits the bytes left).
    @_lifetime(copy self)
    @_lifetime(self: copy self)
    @inlinable @inline(__always)
    mutating func consumeElement(_ header: (tag: UInt32, length: Int, headerLength: Int), keepHeader: Bool) -> ByteCursor {
        let end = header.headerLength &+ header.length
        let start = keepHeader ? 0 : header.headerLength
        // unsafe: `asn1Header` checked headerLength + length <= storage.count.
        let child = ByteCursor(unsafe storage.extracting(unchecked: start..<end), offset: position &+ start)
        advance(end)
        return child
    }

    /// Tag, definite length and header size of the next element, if it is valid DER and its
    /// contents fit the bytes left. Rejects indefinite and non-minimal lengths.
    @inlinable @inline(__always)
    func asn1Header() -> (tag: UInt32, length: Int, headerLength: Int)? {
        // The common cases — a one-byte tag with a short length, or a long length in one or two
        // octets (certificates, names, key info) — inline; the rest out of line.
        // unsafe: every unchecked read below is at an index the preceding `count` guard covers.
        let count = storage.count
        guard count >= 2 else { return nil }
        let first = unsafe storage[unchecked: 0]
        guard first & 0x1f != 0x1f else { return asn1HeaderSlowly() }
        let lengthByte = unsafe storage[unchecked: 1]
        let length: Int
        let headerLength: Int
        switch lengthByte {
        case 0..<0x80:
            length = Int(lengthByte)
            headerLength = 2
        case 0x81:
            guard count >= 3 else { return nil }
            length = Int(unsafe storage[unchecked: 2])
            guard length >= 0x80 else { return nil }  // would fit the short form: not DER
            headerLength = 3
        case 0x82:
            guard count >= 4 else { return nil }
            length = Int(unsafe storage[unchecked: 2]) &<< 8 | Int(unsafe storage[unchecked: 3])
            guard length >= 0x100 else { return nil }  // leading zero octet: not DER
            headerLength = 4
        default:
            return asn1HeaderSlowly()
        }
        guard length <= count &- headerLength else { return nil }
        return (UInt32(first), length, headerLength)
    }

    @usableFromInline
    func asn1HeaderSlowly() -> (tag: UInt32, length: Int, headerLength: Int)? {
        var probe = self
        guard let first = probe.readUInt8() else { return nil }
        var tag = UInt32(first)
        if first & 0x1f == 0x1f {  // high tag number form: base-128 continuation bytes
            var number: UInt32 = 0
            var digits = 0
            while true {
                guard let byte = probe.readUInt8(), digits < 4 else { return nil }
                if digits == 0 && byte == 0x80 { return nil }  // leading zero digit: not minimal
                number = number << 7 | UInt32(byte & 0x7f)
                digits += 1
                if byte & 0x80 == 0 { break }
            }
            guard number >= 0x1f else { return nil }
            tag = UInt32(first) << 24 | number
        }
        guard let lengthByte = probe.readUInt8() else { return nil }
        var length: Int
        if lengthByte < 0x80 {
            length = Int(lengthByte)
        } else {
            let octets = Int(lengthByte & 0x7f)
            guard octets >= 1, octets <= 4 else { return nil }  // 0x80 = indefinite (BER only)
            length = 0
            for _ in 0..<octets {
                guard let byte = probe.readUInt8() else { return nil }
                length = length << 8 | Int(byte)
            }
            // Shortest form only: no leading zero octet, and short form where it fits.
            guard length >= 0x80, length >> (8 * (octets - 1)) != 0 else { return nil }
        }
        guard length <= probe.remaining else { return nil }
        return (tag, length, probe.offset - offset)
    }
}
