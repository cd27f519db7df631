import Wire

/// What a ServerHello shows of the server's TLS stack beyond version, cipher and group: its
/// extension types in the order sent, and the ALPN protocol it chose (TLS 1.2: in the
/// ServerHello; TLS 1.3 moves it into the encrypted EncryptedExtensions). Kept inline, without
/// an allocation: a followed handshake's state stays a fixed size.
public struct ServerHelloProfile: Sendable, Equatable {
    /// ServerHellos carry 2–7 extensions; more than this many are counted, not kept.
    public static let maxTypes = 8
    /// ALPN names longer than this are kept as their first bytes (h2 and http/1.1 fit).
    public static let maxALPNBytes = 8

    private var types = InlineArray<8, UInt16>(repeating: 0)
    private var typeCount: UInt8 = 0
    /// Extensions beyond `maxTypes`.
    public private(set) var moreTypes: UInt8 = 0
    private var alpnBytes = InlineArray<8, UInt8>(repeating: 0)
    private var alpnLength: UInt8 = 0
    private var hasALPN = false

    public init() {}

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.extensionTypes == rhs.extensionTypes && lhs.moreTypes == rhs.moreTypes && lhs.alpn == rhs.alpn
    }

    mutating func append(type: UInt16) {
        guard Int(typeCount) < Self.maxTypes else {
            moreTypes &+= moreTypes == .max ? 0 : 1
            return
        }
        types[Int(typeCount)] = type
        typeCount += 1
    }

    mutating func setALPN(_ name: borrowing ByteCursor) {
        hasALPN = true
        alpnLength = 0
        while Int(alpnLength) < min(name.remaining, Self.maxALPNBytes), let byte = name.peek(Int(alpnLength)) {
            alpnBytes[Int(alpnLength)] = byte
            alpnLength += 1
        }
    }

    /// The extension types in the order the server sent them (the first `maxTypes`).
    public var extensionTypes: [UInt16] { (0..<Int(typeCount)).map { types[$0] } }

    /// The protocol the server chose in a TLS 1.2 ServerHello (nil: none, or not visible).
    public var alpn: String? {
        guard hasALPN else { return nil }
        return String(decoding: (0..<Int(alpnLength)).map { alpnBytes[$0] }, as: UTF8.self)
    }
}
