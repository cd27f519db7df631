import COpenSSL
import Foundation
import Certificates

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
@safe
public final class TrustStore: @unchecked Sendable {
    let handle: StoreHandle
    /// "system" or the path given.
    public let source: String
    /// Certificates loaded into the store up front. For the system store this is the CA bundle
    /// file; certificates only in the hashed directory are found on demand and not counted.
    public let certificateCount: Int
    /// Directory entries that matched the name patterns but held no readable certificate, with why.
    public let skipped: [String]

    public init(path: String? = nil) throws(TrustStoreError) {
        let handle = StoreHandle()
        var skipped: [String] = []
        if let path {
            try Self.load(path: path, into: handle, skipped: &skipped)
        } else if !handle.setDefaultPaths() {
            throw TrustStoreError(path: "system", reason: "OpenSSL cannot load its default CA locations")
        }
        let count = handle.certificateCount
        if let path, count == 0 {
            throw TrustStoreError(path: path, reason: "no certificates found"
                + (skipped.isEmpty ? "" : " (skipped: \(skipped.joined(separator: "; ")))"))
        }
        self.handle = handle
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

    private static func load(path: String, into store: StoreHandle, skipped: inout [String]) throws(TrustStoreError) {
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

    private static func loadFile(_ path: String, into store: StoreHandle) throws(TrustStoreError) {
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

/// An OpenSSL `X509_STORE`, owned: freed when the handle goes.
@safe
final class StoreHandle {
    let pointer: OpaquePointer

    init() {
        // unsafe: plain OpenSSL object construction; freed in deinit.
        guard let store = unsafe X509_STORE_new() else { fatalError("OpenSSL cannot allocate an X509_STORE") }
        unsafe pointer = store
    }

    deinit {
        unsafe X509_STORE_free(pointer)
    }

    func setDefaultPaths() -> Bool {
        // unsafe: the store is owned by this handle.
        defer { ERR_clear_error() }
        return unsafe X509_STORE_set_default_paths(pointer) == 1
    }

    /// Adds a trust anchor (the store takes its own reference; a duplicate is ignored).
    func add(_ certificate: OpenSSLCertificate) -> Bool {
        // unsafe: both objects are alive for the call; the store up-refs the certificate.
        defer { ERR_clear_error() }
        return unsafe X509_STORE_add_cert(pointer, certificate.pointer) == 1
    }

    var certificateCount: Int {
        // unsafe: get1 returns a new stack holding references; pop_free releases both.
        guard let all = unsafe X509_STORE_get1_all_certs(pointer) else { return 0 }
        let count = unsafe mw_sk_X509_num(all)
        unsafe mw_sk_X509_pop_free(all)
        return Int(count)
    }
}

/// An OpenSSL `X509`, owned: freed when the wrapper goes.
@safe
final class OpenSSLCertificate {
    let pointer: OpaquePointer

    /// Nil when OpenSSL cannot parse `der` as a certificate. With `exact` (as a TLS client checks
    /// a Certificate message entry) bytes after the certificate are an error too; without it they
    /// are ignored (a `TRUSTED CERTIFICATE` block's trust settings).
    init?(der: [UInt8], exact: Bool = true) {
        let decoded: OpaquePointer? = unsafe der.withUnsafeBufferPointer { buffer in
            // unsafe: d2i reads at most `count` bytes from the array's storage, alive for the call,
            // and advances `cursor` past what it consumed.
            var cursor = buffer.baseAddress
            guard let certificate = unsafe d2i_X509(nil, &cursor, buffer.count) else { return nil }
            if exact, unsafe cursor != buffer.baseAddress.map({ unsafe $0 + buffer.count }) {
                unsafe X509_free(certificate)
                return nil
            }
            return unsafe certificate
        }
        ERR_clear_error()
        guard let decoded = unsafe decoded else { return nil }
        unsafe pointer = decoded
    }

    deinit {
        unsafe X509_free(pointer)
    }

    /// SHA-256 (lowercase hex) of the DER SubjectPublicKeyInfo of a certificate the caller keeps alive.
    static func spkiSHA256(_ certificate: OpaquePointer, hasher: CertificateHasher) -> String? {
        // unsafe: get0 borrows the key structure of the certificate.
        guard let key = unsafe X509_get_X509_PUBKEY(certificate) else { return nil }
        let length = unsafe i2d_X509_PUBKEY(key, nil)
        guard length > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = unsafe bytes.withUnsafeMutableBufferPointer { buffer in
            // unsafe: i2d writes exactly `length` bytes (measured above) into the buffer.
            var cursor = buffer.baseAddress
            return unsafe i2d_X509_PUBKEY(key, &cursor)
        }
        guard written == length else { return nil }
        return hasher.sha256(bytes.span).description
    }

    /// Whether its signature verifies with its own public key.
    var isSignedByItsOwnKey: Bool {
        // unsafe: get0 borrows the key of this certificate, alive for the call.
        guard let key = unsafe X509_get0_pubkey(pointer) else { return false }
        defer { ERR_clear_error() }
        return unsafe X509_verify(pointer, key) == 1
    }

    /// Whether its notBefore or notAfter lies in [from, to].
    func validityChanges(from: Int64, to: Int64) -> Bool {
        unsafe Self.validityChanges(pointer, from: from, to: to)
    }

    /// Whether a notBefore or notAfter of a certificate the caller keeps alive lies in [from, to].
    static func validityChanges(_ certificate: OpaquePointer, from: Int64, to: Int64) -> Bool {
        // unsafe: reads the certificate's two times.
        unsafe mw_validity_changes_between(certificate, from, to) != 0
    }
}
