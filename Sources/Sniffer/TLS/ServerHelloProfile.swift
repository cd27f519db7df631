import Wire

/// What a ServerHello shows of the server's TLS stack beyond version, cipher and group: its
/// extension types in the order sent, and the ALPN protocol it chose (TLS 1.2: in the
/// ServerHello; TLS 1.3 moves it into the encrypted EncryptedExtensions). Kept inline, without
/// an allocation: a followed handshake's state stays a fixed size.
public struct ServerHelloProfile: Sendable, Hashable {
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

    /// A profile as kept elsewhere (the store): the first `maxTypes` types, the ALPN's first bytes.
    public init(extensionTypes: [UInt16], alpn: String?) {
        for type in extensionTypes { append(type: type) }
        if let alpn {
            hasALPN = true
            for byte in alpn.utf8.prefix(Self.maxALPNBytes) {
                alpnBytes[Int(alpnLength)] = byte
                alpnLength += 1
            }
        }
    }

    // Compared and hashed on what is kept, without making arrays or strings.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        guard lhs.typeCount == rhs.typeCount, lhs.moreTypes == rhs.moreTypes, lhs.hasALPN == rhs.hasALPN,
              lhs.alpnLength == rhs.alpnLength else { return false }
        for index in 0..<Int(lhs.typeCount) where lhs.types[index] != rhs.types[index] { return false }
        for index in 0..<Int(lhs.alpnLength) where lhs.alpnBytes[index] != rhs.alpnBytes[index] { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(typeCount)
        for index in 0..<Int(typeCount) { hasher.combine(types[index]) }
        hasher.combine(moreTypes)
        hasher.combine(hasALPN)
        for index in 0..<Int(alpnLength) { hasher.combine(alpnBytes[index]) }
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
