import Foundation

/// Makes real keys and certificates with the `openssl` command line, in a temporary directory.
public final class OpenSSLKit {
    public let directory: String

    public init() throws {
        directory = NSTemporaryDirectory() + "mitmwatch-kit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    @discardableResult
    public func run(_ arguments: [String]) throws -> String {
        try Self.run(arguments, in: directory)
    }

    /// Runs `openssl` with `arguments` in `directory`; its stdout, or an error with its stderr.
    @discardableResult
    public static func run(_ arguments: [String], in directory: String) throws -> String {
        try ToolProcess.run("/usr/bin/openssl", arguments, in: directory)
    }

    public func key(_ name: String, exponent: Int = 65537) throws {
        try run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt",
                 "rsa_keygen_pubexp:\(exponent)", "-out", name + ".key"])
    }

    /// A self-signed CA certificate for `subject` with key `key`.
    public func root(_ name: String, key: String, subject: String, days: Int = 3650) throws {
        try run(["req", "-x509", "-new", "-key", key + ".key", "-subj", subject, "-days", String(days),
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                 "-addext", "subjectKeyIdentifier=hash", "-out", name + ".pem"])
    }

    /// A certificate for `subject` and `key`, signed by `issuer` (a `.pem` with its `.key` named
    /// `issuerKey`). `extensions` are config lines; no AKI unless asked for.
    public func issue(_ name: String, key: String, subject: String, issuer: String, issuerKey: String,
               extensions: [String], days: Int = 365) throws {
        try run(["req", "-new", "-key", key + ".key", "-subj", subject, "-out", name + ".csr"])
        let config = directory + "/" + name + ".ext"
        // OpenSSL 3 adds key identifiers by default: only what the test asks for goes in.
        var lines = ["[ext]"] + extensions
        if !extensions.contains(where: { $0.hasPrefix("authorityKeyIdentifier") }) { lines.append("authorityKeyIdentifier=none") }
        if !extensions.contains(where: { $0.hasPrefix("subjectKeyIdentifier") }) { lines.append("subjectKeyIdentifier=none") }
        try lines.joined(separator: "\n").write(toFile: config, atomically: true, encoding: .utf8)
        try run(["x509", "-req", "-in", name + ".csr", "-CA", issuer + ".pem", "-CAkey", issuerKey + ".key",
                 "-set_serial", String(Int.random(in: 1000...999_999)), "-days", String(days),
                 "-extfile", config, "-extensions", "ext", "-out", name + ".pem"])
    }

    public func der(_ name: String) throws -> [UInt8] {
        try run(["x509", "-in", name + ".pem", "-outform", "DER", "-out", name + ".der"])
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name + ".der")))
    }

    public func path(_ file: String) -> String { directory + "/" + file }
}
