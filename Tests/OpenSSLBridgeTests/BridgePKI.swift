import Foundation
import OpenSSLBridge
import Testing
import TestSupport

/// Made once with the openssl command, shared by the suites (as DER: each test decodes its own):
///
///     Bridge Root (10 years) → Bridge Intermediate (1 year) → leaf for www.bank.example and
///     192.0.2.10 (30 days); Other Root (unrelated).
struct BridgePKI: Sendable {
    static let shared = Result { try BridgePKI() }

    let root: [UInt8]
    let intermediate: [UInt8]
    let leaf: [UInt8]
    let otherRoot: [UInt8]
    /// The leaf's SubjectPublicKeyInfo as `openssl pkey -pubout -outform DER` writes it.
    let leafSPKI: [UInt8]
    /// A second before any certificate was issued: every notBefore is within a minute after it.
    let issued: Int64

    private init() throws {
        let kit = try OpenSSLKit()
        issued = Int64(Date().timeIntervalSince1970) - 1
        try kit.key("root")
        try kit.root("root", key: "root", subject: "/CN=Bridge Root")
        try kit.key("other")
        try kit.root("other", key: "other", subject: "/CN=Other Root")
        try kit.key("ca")
        try kit.issue("ca", key: "ca", subject: "/CN=Bridge Intermediate", issuer: "root", issuerKey: "root",
                      extensions: ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign"])
        try kit.key("leaf")
        try kit.issue("leaf", key: "leaf", subject: "/CN=www.bank.example", issuer: "ca", issuerKey: "ca",
                      extensions: ["subjectAltName=DNS:www.bank.example,IP:192.0.2.10", "extendedKeyUsage=serverAuth"],
                      days: 30)
        try kit.run(["pkey", "-in", "leaf.key", "-pubout", "-outform", "DER", "-out", "leaf.spki"])
        root = try kit.der("root")
        otherRoot = try kit.der("other")
        intermediate = try kit.der("ca")
        leaf = try kit.der("leaf")
        leafSPKI = [UInt8](try Data(contentsOf: URL(fileURLWithPath: kit.path("leaf.spki"))))
    }

    static func make() throws -> BridgePKI { try shared.get() }

    static func certificate(_ der: [UInt8]) throws -> OpenSSLCertificate {
        try #require(OpenSSLCertificate(der: der))
    }
}
