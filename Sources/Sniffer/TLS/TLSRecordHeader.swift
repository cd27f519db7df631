import Wire

/// The five-byte TLS record header (RFC 8446 §5.1), with the checks used to find TLS in a
/// byte stream: at its start, after a plaintext prelude, or after a capture gap.
struct TLSRecordHeader {
    static let length = 5
    /// 2^14 plaintext plus the expansion TLS 1.2 allows for compression and MAC/padding.
    static let maxBodyLength = 16384 + 2048

    enum ContentType: UInt8 {
        case changeCipherSpec = 20, alert = 21, handshake = 22, applicationData = 23, heartbeat = 24
    }

    var contentType: UInt8
    var version: UInt16
    var bodyLength: Int

    init?(_ cursor: ByteCursor) {
        guard let type = cursor.peek(0), let version = cursor.peekUInt16(1), let length = cursor.peekUInt16(3) else {
            return nil
        }
        contentType = type
        self.version = version
        bodyLength = Int(length)
    }

    /// Content type known, version 3.x, length within what a record may carry.
    var isValid: Bool {
        ContentType(rawValue: contentType) != nil && version >> 8 == 3 && version & 0xff <= 4
            && bodyLength <= Self.maxBodyLength
    }

    /// Whether `cursor` starts with a handshake record opening a ClientHello or ServerHello —
    /// the only way a TLS stream can begin. Used to find TLS on any port and after any prelude.
    static func startsHello(_ cursor: ByteCursor) -> Bool {
        guard let header = TLSRecordHeader(cursor), header.contentType == 22, header.isValid,
              header.bodyLength >= 4,
              let handshakeType = cursor.peek(5), handshakeType == 1 || handshakeType == 2,
              let handshakeLength = cursor.peekUInt24(6), handshakeLength >= 38, handshakeLength <= 0x20000,
              let major = cursor.peek(9)
        else { return false }
        return major == 3 || (handshakeType == 2 && (major == 0x7f || major == 0x7e || major == 0xfb))
    }

    /// Whether `cursor` plausibly starts a record in the middle of a handshake (after a gap).
    static func plausibleAfterGap(_ cursor: ByteCursor) -> Bool {
        guard let header = TLSRecordHeader(cursor), header.isValid, header.bodyLength >= 1 else { return false }
        switch header.contentType {
        case 22:
            guard header.bodyLength >= 4, let type = cursor.peek(5), let length = cursor.peekUInt24(6) else {
                return false
            }
            switch type {
            case 1, 2, 4, 11, 12, 13, 14, 15, 16, 20, 22: return length <= 0x100_0000
            default: return false
            }
        case 20:
            return header.bodyLength == 1 && cursor.peek(5) == 1
        case 21:
            return header.bodyLength == 2 && (cursor.peek(5) == 1 || cursor.peek(5) == 2)
        default:
            // Application data or heartbeat: only if the next header, when visible, is valid too.
            var rest = cursor
            guard rest.skip(5 + header.bodyLength) else { return true }
            guard let next = TLSRecordHeader(rest) else { return true }
            return next.isValid
        }
    }
}
