/// Link-layer header types (tcpdump.org LINKTYPE_/DLT_ values as libpcap reports them).
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let null = LinkType(rawValue: 0)          // BSD loopback, host-order family
    public static let ethernet = LinkType(rawValue: 1)
    public static let ppp = LinkType(rawValue: 9)
    public static let raw = LinkType(rawValue: 12)          // DLT_RAW on Linux (file LINKTYPE_RAW 101)
    public static let rawOpenBSD = LinkType(rawValue: 14)
    public static let pppSerial = LinkType(rawValue: 50)
    public static let linktypeRaw = LinkType(rawValue: 101)
    public static let loop = LinkType(rawValue: 108)        // OpenBSD loopback, network-order family
    public static let linuxSLL = LinkType(rawValue: 113)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
    public static let linuxSLL2 = LinkType(rawValue: 276)

    public var description: String {
        switch self {
        case .null: "NULL"
        case .ethernet: "EN10MB"
        case .ppp: "PPP"
        case .raw, .rawOpenBSD, .linktypeRaw: "RAW"
        case .pppSerial: "PPP_SERIAL"
        case .loop: "LOOP"
        case .linuxSLL: "LINUX_SLL"
        case .ipv4: "IPV4"
        case .ipv6: "IPV6"
        case .linuxSLL2: "LINUX_SLL2"
        default: "LINKTYPE_\(rawValue)"
        }
    }
}
