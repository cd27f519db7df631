import Detector
import Foundation
import TestSupport

/// A small PKI made with the `openssl` command at test time (OpenSSL 3.0 `req`/`x509` cannot set
/// absolute validity dates, so certificates are issued with `openssl ca -startdate/-enddate`):
///
///     Test Root (2000–2099) → Test Intermediate (2000–2099) → leaves for www.bank.example + IP 192.0.2.10
///
/// Every date is fixed, so no test depends on today's date beyond "today is before 2040".
struct TestPKI: Sendable {
    static let shared: Result<TestPKI, TestPKIError> = Result { () throws(TestPKIError) in try TestPKI() }

    static func make() throws -> TestPKI { try shared.get() }

    struct TestPKIError: Error, CustomStringConvertible {
        var description: String
    }

    // DER of each certificate.
    let root: [UInt8]
    let intermediate: [UInt8]
    /// 2020-01-01 → 2040-01-01.
    let leaf: [UInt8]
    /// 2023-01-01 → 2024-01-01 (expired today).
    let oldLeaf: [UInt8]
    /// 2023-01-01 → 2024-01-01 00:30:00: expires within an hour.
    let halfHourLeaf: [UInt8]
    /// Self-signed, 2020-01-01 → 2040-01-01, same names.
    let selfSignedLeaf: [UInt8]
    let otherRoot: [UInt8]
    /// SPKI DER of the root and the intermediate, as `openssl pkey -pubin -outform DER` writes them.
    let rootSPKI: [UInt8]
    let intermediateSPKI: [UInt8]
    /// A directory holding only Test Root (as `test-root.crt`, not hashed).
    let publicStore: TrustStore
    /// A directory holding only Other Root (as DER `other-root.cer`) and an unreadable `junk.pem`.
    let otherStore: TrustStore
    /// A PEM bundle file with both roots.
    let bundleStore: TrustStore

    private static let config = """
        [ ca ]
        default_ca = CA_default
        [ CA_default ]
        dir = .
        database = index.txt
        new_certs_dir = .
        serial = serial
        default_md = sha256
        policy = policy_any
        unique_subject = no
        copy_extensions = none
        [ policy_any ]
        commonName = supplied
        [ req ]
        distinguished_name = dn
        prompt = no
        [ dn ]
        CN = placeholder
        [ v3_ca ]
        basicConstraints = critical, CA:true
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid:always
        [ v3_leaf ]
        basicConstraints = critical, CA:false
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:www.bank.example, IP:192.0.2.10
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid:always
        [ v3_self ]
        basicConstraints = critical, CA:false
        keyUsage = critical, digitalSignature, keyCertSign
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:www.bank.example, IP:192.0.2.10
        subjectKeyIdentifier = hash

        """

    private init() throws(TestPKIError) {
        let directory = NSTemporaryDirectory() + "mitmwatch-validation-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            try Self.build(in: directory)
            func der(_ name: String) throws -> [UInt8] {
                [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
            }
            root = try der("root.der")
            intermediate = try der("intermediate.der")
            leaf = try der("leaf.der")
            oldLeaf = try der("old.der")
            halfHourLeaf = try der("halfhour.der")
            selfSignedLeaf = try der("self.der")
            otherRoot = try der("other.der")
            rootSPKI = try der("root.spki")
            intermediateSPKI = try der("intermediate.spki")
            publicStore = try TrustStore(path: directory + "/public")
            otherStore = try TrustStore(path: directory + "/other/")
            bundleStore = try TrustStore(path: directory + "/bundle.pem")
        } catch {
            throw TestPKIError(description: "making the test PKI: \(error)")
        }
    }

    private static func build(in directory: String) throws {
        let files = FileManager.default
        for sub in ["", "/public", "/other"] {
            try files.createDirectory(atPath: directory + sub, withIntermediateDirectories: true)
        }
        try config.write(toFile: directory + "/ca.cnf", atomically: true, encoding: .utf8)
        try "".write(toFile: directory + "/index.txt", atomically: true, encoding: .utf8)
        try "1000\n".write(toFile: directory + "/serial", atomically: true, encoding: .utf8)
        let run = { (arguments: [String]) throws in _ = try openssl(arguments, in: directory) }

        func key(_ name: String) throws {
            try run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name + ".key"])
        }
        /// Issues `name` for `subject`: self-signed when `issuer` is nil.
        func issue(_ name: String, subject: String, issuer: String?, from start: String, to end: String,
                   extensions: String) throws {
            try key(name)
            try run(["req", "-new", "-config", "ca.cnf", "-key", name + ".key", "-subj", subject, "-out", name + ".csr"])
            var arguments = ["ca", "-batch", "-notext", "-config", "ca.cnf", "-in", name + ".csr", "-out", name + ".pem",
                             "-startdate", start, "-enddate", end, "-extensions", extensions]
            if let issuer {
                arguments += ["-cert", issuer + ".pem", "-keyfile", issuer + ".key"]
            } else {
                arguments += ["-selfsign", "-keyfile", name + ".key"]
            }
            try run(arguments)
            try run(["x509", "-in", name + ".pem", "-outform", "DER", "-out", name + ".der"])
        }

        try issue("root", subject: "/CN=Test Root", issuer: nil, from: "20000101000000Z", to: "20991231000000Z", extensions: "v3_ca")
        try issue("intermediate", subject: "/CN=Test Intermediate", issuer: "root",
                  from: "20000101000000Z", to: "20991231000000Z", extensions: "v3_ca")
        try issue("leaf", subject: "/CN=www.bank.example", issuer: "intermediate",
                  from: "20200101000000Z", to: "20400101000000Z", extensions: "v3_leaf")
        try issue("old", subject: "/CN=www.bank.example", issuer: "intermediate",
                  from: "20230101000000Z", to: "20240101000000Z", extensions: "v3_leaf")
        try issue("halfhour", subject: "/CN=www.bank.example", issuer: "intermediate",
                  from: "20230101000000Z", to: "20240101003000Z", extensions: "v3_leaf")
        try issue("self", subject: "/CN=www.bank.example", issuer: nil,
                  from: "20200101000000Z", to: "20400101000000Z", extensions: "v3_self")
        try issue("other", subject: "/CN=Other Root", issuer: nil, from: "20000101000000Z", to: "20991231000000Z", extensions: "v3_ca")
        for name in ["root", "intermediate"] {
            try run(["pkey", "-in", name + ".key", "-pubout", "-outform", "DER", "-out", name + ".spki"])
        }

        try files.copyItem(atPath: directory + "/root.pem", toPath: directory + "/public/test-root.crt")
        try files.copyItem(atPath: directory + "/other.der", toPath: directory + "/other/other-root.cer")
        try "not a certificate\n-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"
            .write(toFile: directory + "/other/junk.pem", atomically: true, encoding: .utf8)
        try "ignored: no certificate extension".write(toFile: directory + "/other/README", atomically: true, encoding: .utf8)
        let bundle = try String(contentsOfFile: directory + "/root.pem", encoding: .utf8)
            + String(contentsOfFile: directory + "/other.pem", encoding: .utf8)
        try bundle.write(toFile: directory + "/bundle.pem", atomically: true, encoding: .utf8)
    }

    @discardableResult
    static func openssl(_ arguments: [String], in directory: String) throws -> String {
        try OpenSSLKit.run(arguments, in: directory)
    }
}

/// Capture times used by the tests (UTC).
enum CaptureTime {
    static let june2019: Int64 = 1_559_347_200    // 2019-06-01
    static let june2023: Int64 = 1_685_577_600    // 2023-06-01
    static let june2025: Int64 = 1_748_736_000    // 2025-06-01
    static let january2045: Int64 = 2_366_841_600 // 2045-01-01
    static let newYear2024At0010: Int64 = 1_704_067_800
    static let newYear2024At0050: Int64 = 1_704_070_200
    static var now: Int64 { Int64(Date().timeIntervalSince1970) }
}
