import Wire

/// The certificates of one Certificate handshake message, viewed where they lie (the record or
/// the flow's handshake buffer). Nothing is copied; iterate while the bytes are alive.
public struct CertificateChainView: ~Escapable {
    public enum Format: Sendable {
        /// TLS 1.0–1.2 and SSLv3: `opaque certificate_list<0..2^24-1>` of `ASN.1Cert<1..2^24-1>`.
        case tls12
        /// TLS 1.3: request context, then entries of certificate and extensions.
        case tls13
        /// SSLv2 SERVER-HELLO: exactly one certificate.
        case sslv2
    }

    public let format: Format
    /// Not every certificate of the message is listed: the message was larger than the per-flow
    /// cap (only the certificates wholly inside the part that was kept are listed), or it held
    /// more than `maxCertificates` (only the first ones are listed).
    public let isTruncated: Bool
    /// Certificates of the message past `maxCertificates`, not listed (0 when none were cut).
    public let certificatesOverCap: Int
    private let entries: ByteCursor

    /// Validates the framing of a Certificate message body. Returns nil when it is malformed
    /// (lengths that disagree or overrun), unless truncated, where a cut-off tail is expected.
    /// At most `maxCertificates` certificates are listed (a view of that prefix: no copy).
    @_lifetime(copy body)
    public init?(body: consuming ByteCursor, format: Format, isTruncated: Bool = false, maxCertificates: Int = .max) {
        self.format = format
        switch format {
        case .sslv2:
            entries = body
            self.isTruncated = isTruncated
            certificatesOverCap = 0
            return
        case .tls12:
            break
        case .tls13:
            guard body.readUInt8LengthPrefixed() != nil else { return nil }
        }
        guard let declared = body.peekUInt24(), body.skip(3) else { return nil }
        var list: ByteCursor
        if isTruncated {
            list = body.readRest()
        } else {
            guard Int(declared) == body.remaining, let whole = body.read(Int(declared)) else { return nil }
            list = whole
            guard Self.framingIsValid(list, format: format) else { return nil }
        }
        let (listed, total) = Self.prefixLength(list, format: format, maxCertificates: max(0, maxCertificates))
        certificatesOverCap = total - min(total, max(0, maxCertificates))
        list.truncate(to: listed)
        entries = list
        self.isTruncated = isTruncated || certificatesOverCap > 0
    }

    private static func framingIsValid(_ list: ByteCursor, format: Format) -> Bool {
        var cursor = list
        while !cursor.isEmpty {
            guard cursor.readUInt24LengthPrefixed() != nil else { return false }
            if format == .tls13 && cursor.readUInt16LengthPrefixed() == nil { return false }
        }
        return true
    }

    /// How many bytes of `list` the first `maxCertificates` whole entries take, and how many
    /// whole entries there are in all.
    private static func prefixLength(_ list: ByteCursor, format: Format, maxCertificates: Int)
        -> (bytes: Int, certificates: Int) {
        var cursor = list
        var count = 0
        var bytes = 0
        while cursor.readUInt24LengthPrefixed() != nil {
            if format == .tls13 && cursor.readUInt16LengthPrefixed() == nil { break }
            count += 1
            if count <= maxCertificates { bytes = cursor.offset - list.offset }
        }
        return (bytes, count)
    }

    /// Calls `body` with each certificate's DER, in the order sent (leaf first).
    public func forEach(_ body: (Span<UInt8>) -> Void) {
        var cursor = entries
        if format == .sslv2 {
            body(cursor.bytes)
            return
        }
        while let certificate = cursor.readUInt24LengthPrefixed() {
            if format == .tls13 && cursor.readUInt16LengthPrefixed() == nil { return }
            body(certificate.bytes)
        }
    }

}
