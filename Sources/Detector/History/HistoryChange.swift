import Certificates

/// What a history rule found changed for a name, as data.
public enum HistoryChange: Sendable, Equatable {
    /// `issuer-change`: a new issuing CA key after a settled history.
    case issuer(IssuerChange)
    /// `tls-downgrade` by version: TLS 1.3 before, less now, with 1.3 offered.
    case version(usual: TLSVersionNumber, now: TLSVersionNumber, observations: Int)
    /// `tls-downgrade` by key-share group: the post-quantum hybrid before, a classical group now, with it offered.
    case group(usual: UInt16, now: UInt16, observations: Int)
    /// `server-profile-change`: the ServerHello profile for the same offer.
    case profile(before: ServerProfile, now: ServerProfile, observations: Int)

    public struct IssuerChange: Sendable, Equatable {
        /// The issuing CA keys of the settled history (`IssuingCA.key`), most seen first.
        public var usual: [String]
        public var now: String
        public var observations: Int
        /// When the settled history began (Unix seconds).
        public var since: Double
        /// No name observed here was ever served a chain from this CA.
        public var caNewHere: Bool
        /// Other rules fired on the same chain.
        public var alsoFired: [Rule]
    }

    public typealias TLSVersionNumber = UInt16

    public var reasonCodes: [String] {
        switch self {
        case .issuer(let change):
            ["new-issuing-ca"] + (change.caNewHere ? ["ca-new-here"] : []) + change.alsoFired.map { "also-" + $0.rawValue }
        case .version: ["version-downgrade"]
        case .group: ["post-quantum-group-dropped"]
        case .profile(let before, let now, _): before.differences(from: now)
        }
    }

    public var detail: String? {
        switch self {
        case .issuer(let change):
            "issuing CA \(change.now) instead of \(change.usual.joined(separator: ", ")) (settled over \(change.observations) "
                + "observations since \(HistoryTime.date(change.since)))"
        case .version(let usual, let now, let observations):
            "negotiated \(HistoryTime.version(now)) with TLS 1.3 offered; \(HistoryTime.version(usual)) in all "
                + "\(observations) earlier observations"
        case .group(let usual, let now, let observations):
            "chose key-share group 0x\(String(now, radix: 16, uppercase: true)) with X25519MLKEM768 offered; "
                + "0x\(String(usual, radix: 16, uppercase: true)) in all \(observations) earlier observations"
        case .profile(let before, let now, let observations):
            "ServerHello \(now) instead of \(before) (settled over \(observations) observations)"
        }
    }
}

/// Dates and versions in words, for evidence details.
enum HistoryTime {
    static func date(_ seconds: Double) -> String {
        String(CertificateTime.rfc3339(Int64((seconds).rounded(.down))).prefix(10))  // YYYY-MM-DD
    }

    static func version(_ raw: UInt16) -> String {
        switch raw {
        case 0x0304: "TLS 1.3"
        case 0x0303: "TLS 1.2"
        case 0x0302: "TLS 1.1"
        case 0x0301: "TLS 1.0"
        case 0x0300: "SSL 3.0"
        default: "0x" + String(raw, radix: 16)
        }
    }
}
