import Foundation
import Certificates
import OpenSSLBridge

/// A trust store that could not be loaded.
public struct TrustStoreError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "trust store \(path): \(reason)" }
}

/// The trust anchors chains are validated to: an OpenSSL `X509_STORE`.
///
/// - `nil`: OpenSSL's default system locations (`X509_STORE_set_default_paths`: the CA bundle
///   file, loaded now, and the hashed CA directory, consulted lazily during verification).
/// - a file: every certificate in it (PEM bundle, or DER; see `CertificateFile`).
/// - a directory: every `*.pem`, `*.crt`, `*.cer`, `*.der` and `c_rehash`-style `<hash>.<n>`
///   file in it, each holding one or more certificates. Read here, so a directory nobody ran
///   `c_rehash` on works. Files that are not readable certificates are listed in `skipped`.
///
/// The store is never changed after `init`, and OpenSSL locks its lookups, so one store is
/// shared by every worker's `ChainValidator`.
public final class TrustStore: @unchecked Sendable {
    let store: CertificateStore
    /// "system" or the path given.
    public let source: String
    /// Certificates loaded into the store up front. For the system store this is the CA bundle
    /// file; certificates only in the hashed directory are found on demand and not counted.
    public let certificateCount: Int
    /// Directory entries that matched the name patterns but held no readable certificate, with why.
    public let skipped: [String]

    public init(path: String? = nil) throws(TrustStoreError) {
        let store = CertificateStore()
        var skipped: [String] = []
        if let path {
            try Self.load(path: path, into: store, skipped: &skipped)
        } else if !store.loadDefaultPaths() {
            throw TrustStoreError(path: "system", reason: "OpenSSL cannot load its default CA locations")
        }
        let count = store.certificateCount
        if let path, count == 0 {
            throw TrustStoreError(path: path, reason: "no certificates found"
                + (skipped.isEmpty ? "" : " (skipped: \(skipped.joined(separator: "; ")))"))
        }
        self.store = store
        source = path ?? "system"
        certificateCount = count
        self.skipped = skipped
    }

    private static let extensions: Set<String> = ["pem", "crt", "cer", "der"]

    /// `<8 hex digits>.<digits>`: the names `c_rehash` / `openssl rehash` give.
    static func isHashedName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[0].count == 8 && parts[0].allSatisfy(\.isHexDigit)
            && !parts[1].isEmpty && parts[1].allSatisfy { ("0"..."9").contains($0) }
    }

    private static func load(path: String, into store: CertificateStore, skipped: inout [String]) throws(TrustStoreError) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
            return try loadFile(path, into: store)
        }
        for name in names.sorted() {
            let suffix = name.split(separator: ".").last.map { $0.lowercased() } ?? ""
            guard name.contains("."), extensions.contains(suffix) || isHashedName(name) else { continue }
            let file = path.hasSuffix("/") ? path + name : path + "/" + name
            do throws(TrustStoreError) {
                try loadFile(file, into: store)
            } catch {
                skipped.append("\(name): \(error.reason)")
            }
        }
    }

    private static func loadFile(_ path: String, into store: CertificateStore) throws(TrustStoreError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrustStoreError(path: path, reason: "cannot be read")
        }
        let entries: [CertificateFile.Entry]
        do { entries = try CertificateFile.entries(in: [UInt8](data)) } catch {
            throw TrustStoreError(path: path, reason: error.description)
        }
        if entries.isEmpty { throw TrustStoreError(path: path, reason: "no certificate in it") }
        for entry in entries {
            guard let certificate = OpenSSLCertificate(der: entry.der, exact: false) else {
                throw TrustStoreError(path: path, reason: "\(entry.location): OpenSSL cannot parse the certificate")
            }
            if !store.add(certificate) {
                throw TrustStoreError(path: path, reason: "\(entry.location): OpenSSL refused the certificate")
            }
        }
    }
}
