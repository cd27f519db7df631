/// A protocol version as it appears on the wire (ProtocolVersion, two bytes).
public struct TLSVersion: RawRepresentable, Hashable, Sendable, Comparable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let ssl2 = TLSVersion(rawValue: 0x0002)
    public static let ssl3 = TLSVersion(rawValue: 0x0300)
    public static let tls10 = TLSVersion(rawValue: 0x0301)
    public static let tls11 = TLSVersion(rawValue: 0x0302)
    public static let tls12 = TLSVersion(rawValue: 0x0303)
    public static let tls13 = TLSVersion(rawValue: 0x0304)

    public static func < (lhs: TLSVersion, rhs: TLSVersion) -> Bool { lhs.rawValue < rhs.rawValue }

    /// TLS 1.3 or one of its pre-standard variants (IETF drafts 0x7fNN, Google's 0x7eNN
    /// experiments, Facebook Fizz 0xfbNN): the server's Certificate is encrypted.
    public var isTLS13Family: Bool {
        rawValue == 0x0304 || rawValue >> 8 == 0x7f || rawValue >> 8 == 0x7e || rawValue >> 8 == 0xfb
    }

    /// Pre-standard TLS 1.3 drafts up to 21 used a ServerHello without session id/compression,
    /// with the version in the hello itself (0x7fNN, or 0x0304 in the earliest drafts; the final
    /// protocol always puts 0x0303 there).
    var usesDraftServerHelloLayout: Bool {
        rawValue == 0x0304 || (rawValue >> 8 == 0x7f && rawValue & 0xff < 22)
    }

    /// GREASE values (RFC 8701) carry no meaning and are left out of records.
    public var isGREASE: Bool { rawValue & 0x0f0f == 0x0a0a && rawValue >> 8 == rawValue & 0xff }

    /// ECS `tls.version`: "1.2", "1.3", "3.0" (SSLv3), "2.0" (SSLv2).
    public var ecsVersion: String {
        switch rawValue {
        case 0x0002: return "2.0"
        case 0x0300: return "3.0"
        case 0x0301: return "1.0"
        case 0x0302: return "1.1"
        case 0x0303: return "1.2"
        default: return isTLS13Family ? "1.3" : String(format4Hex: rawValue)
        }
    }

    /// ECS `tls.version_protocol`: "ssl" or "tls".
    public var ecsProtocol: String { rawValue <= 0x0300 ? "ssl" : "tls" }

    /// Zeek-style name: `TLSv12`, `TLSv13-draft18`, `SSLv3`, `unknown-32257`.
    public var name: String {
        switch rawValue {
        case 0x0002: return "SSLv2"
        case 0x0300: return "SSLv3"
        case 0x0301: return "TLSv10"
        case 0x0302: return "TLSv11"
        case 0x0303: return "TLSv12"
        case 0x0304: return "TLSv13"
        default:
            if rawValue >> 8 == 0x7f { return "TLSv13-draft\(rawValue & 0xff)" }
            if rawValue >> 8 == 0xfb { return "TLSv13-fizz-draft\(rawValue & 0xff)" }
            if rawValue >> 8 == 0x7e { return "TLSv13-experiment\(rawValue & 0xff)" }
            return "unknown-\(rawValue)"
        }
    }
}

extension String {
    /// `0x` and four lowercase hex digits, e.g. `0xc02f`.
    public init(format4Hex value: UInt16) {
        let digits = String(value, radix: 16)
        self = "0x" + String(repeating: "0", count: 4 - digits.count) + digits
    }
}
