@testable import Certificates
import Detector
import Foundation
import Sniffer
@testable import Store

/// Reports, chains and store files for the store's tests.
enum StoreFixtures {
    static func fingerprint(_ seed: Int) -> CertificateFingerprint {
        CertificateFingerprint(words: (UInt64(seed) &* 0x9E37_79B9_7F4A_7C15, UInt64(seed) ^ 0xABCD, UInt64(seed), 0x5EED))
    }

    /// A chain of `length` made-up certificates, distinct per `seed`.
    static func chain(_ seed: Int, length: Int = 3) -> [CertificateFingerprint] {
        (0..<length).map { fingerprint(seed * 16 + $0) }
    }

    /// A finished session to `sni` (or to `address` without one) that saw `chain` (TLS 1.2) or, with
    /// no chain, a TLS 1.3 ServerHello.
    static func report(sni: String?, chain: [CertificateFingerprint]?, at seconds: Int64, address: UInt32 = 0x0A00_0002,
                       observation: Observation = .passive, findings: [Finding] = [], known: [KnownCertificate] = [],
                       offerMLKEM: Bool = false, group: UInt16? = 0x001d) -> SessionReport {
        var session = TLSSession(id: UInt64(seconds), start: Timestamp(seconds: seconds), end: Timestamp(seconds: seconds),
                                 client: Endpoint(address: IPAddress(ipv4: 0x0A00_0001), port: 40_000),
                                 server: Endpoint(address: IPAddress(ipv4: address), port: 443))
        var hello = ClientHello(offering: [.tls13, .tls12], serverName: sni, alpn: ["h2"])
        hello.keyShareGroups = offerMLKEM ? [0x11EC, 0x001d] : [0x001d]
        session.clientHellos = [hello]
        if let chain {
            session.serverHello = ServerHello(negotiated: .tls12, cipherSuite: 0xC02F, keyShareGroup: nil, sctCount: nil)
            session.serverChain = ObservedChain(fingerprints: chain, isTruncated: false)
        } else {
            session.serverHello = ServerHello(negotiated: .tls13, cipherSuite: 0x1301, keyShareGroup: group, sctCount: nil)
            session.unobservedReason = .tls13Encrypted
        }
        return SessionReport(session: session, findings: findings, serverChain: known, observation: observation)
    }

    /// A parsed-looking leaf for `chain`: what a report carries when the chain was examined.
    static func leaf(of chain: [CertificateFingerprint], issuer: String, keyIdentifier: String?) -> KnownCertificate {
        var known = KnownCertificate(sha256: chain[0])
        known.der = Array(repeating: 0x30, count: 64) + Array("\(chain[0])".utf8)
        known.issuerName = issuer
        known.subjectName = "CN=leaf"
        known.authorityKeyIdentifier = keyIdentifier
        known.spkiSHA256 = fingerprint(99_999)
        return known
    }

    /// A fresh directory under the temporary directory, removed by the caller.
    static func directory(_ name: String = #function) -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("mitmwatch-store-\(name.filter(\.isLetter))-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func finding(_ rule: Rule) -> Finding {
        Finding(rule: rule, evidence: .noCertificateTransparency)
    }

    /// Runs `sql` on the file through the sqlite3 C API directly (what another program would do).
    static func sql(_ path: String, _ statements: String) throws {
        let database = try SQLiteDatabase(path: path, mode: .readWrite)
        try database.execute(statements)
    }

    /// One integer from the file.
    static func integer(_ path: String, _ query: String) throws -> Int64 {
        let database = try SQLiteDatabase(path: path, mode: .readOnly)
        let statement = try database.prepare(query)
        _ = try statement.step()
        return statement.int64(0)
    }

    static func text(_ path: String, _ query: String) throws -> String? {
        let database = try SQLiteDatabase(path: path, mode: .readOnly)
        let statement = try database.prepare(query)
        _ = try statement.step()
        return statement.text(0)
    }
}
