import Foundation

/// For the history rules' tests: a root (the trust store, also as a directory) with two CAs
/// under it issuing leaves, and a rogue self-signed CA — made with the openssl command.
public final class HistoryPKI {
    public let kit: OpenSSLKit
    /// A trust-store directory holding the root.
    public let store: String
    private var made: [String: [[UInt8]]] = [:]

    public init() throws {
        kit = try OpenSSLKit()
        try kit.key("root")
        try kit.root("root", key: "root", subject: "/CN=History Test Root", days: 7300)
        for ca in ["caA", "caB"] {
            try kit.key(ca)
            try kit.issue(ca, key: ca, subject: "/CN=History \(ca)", issuer: "root", issuerKey: "root",
                          extensions: ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign",
                                       "subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid"], days: 7000)
        }
        try kit.key("rogue")
        try kit.root("rogue", key: "rogue", subject: "/CN=Rogue Inspection CA", days: 7000)
        try kit.key("leaf")
        store = kit.path("store")
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: kit.path("root.pem"), toPath: store + "/root.pem")
    }

    /// The chain a server sends for `name` under `ca` ("caA", "caB"): leaf, CA — made once each.
    public func chain(_ name: String, by ca: String) throws -> [[UInt8]] {
        let file = "\(name)-\(ca)"
        if let chain = made[file] { return chain }
        try kit.issue(file, key: "leaf", subject: "/CN=\(name)", issuer: ca, issuerKey: ca,
                      extensions: ["subjectAltName=DNS:\(name)", "basicConstraints=CA:FALSE",
                                   "authorityKeyIdentifier=keyid", "extendedKeyUsage=serverAuth"], days: 3650)
        let chain = [try kit.der(file), try kit.der(ca)]
        made[file] = chain
        return chain
    }

    /// A leaf for `name` from the rogue CA: what an interception box would mint.
    public func forged(_ name: String) throws -> [UInt8] {
        try kit.issue("forged-\(name)", key: "leaf", subject: "/CN=\(name)", issuer: "rogue", issuerKey: "rogue",
                      extensions: ["subjectAltName=DNS:\(name)", "authorityKeyIdentifier=keyid"], days: 365)
        return try kit.der("forged-\(name)")
    }
}
