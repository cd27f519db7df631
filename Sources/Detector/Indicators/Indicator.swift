import Foundation
import Wire

/// A certificate (or key, or name) known to have been used to intercept TLS, with its provenance.
public struct Indicator: Sendable, Identifiable {
    /// How strong a signal a match is.
    public enum Signal: String, Sendable, Codable {
        /// This certificate or key was documented in interception.
        case interceptionObserved = "interception-observed"
        /// Made for, or compromised in, an interception programme.
        case interceptionCapable = "interception-capable"
        /// A state or distrusted CA that also has legitimate use: a lower-severity rule.
        case context
    }

    public var id: String
    public var name: String
    public var country: String?
    public var years: String?
    public var kind: String?
    public var signal: Signal
    /// Lowercase hex digests; nil when unknown.
    public var sha256: String?
    public var spkiSHA256: String?
    public var sha1: String?
    public var serial: String?
    /// RFC 2253 (as `openssl -nameopt RFC2253` prints it).
    public var subject: String?
    public var issuer: String?
    /// Lowercase hex.
    public var subjectKeyIdentifier: String?
    public var notBefore: String?
    public var notAfter: String?
    public var verification: String?
    public var sources: [String]
    public var notes: String?
    /// The certificate itself, when its bytes are known (signatures can then be verified).
    public var certificateDER: [UInt8]?
    /// Where it was loaded from: `built-in`, a file path.
    public var origin: String
}

/// The JSON form, shared by the built-in data and user lists (only `name` and one of `sha256`,
/// `spki_sha256`, `sha1`, `subject` are required in a user list).
struct IndicatorRecord: Codable {
    var id: String?
    var name: String
    var country: String?
    var years: String?
    var kind: String?
    var signal: Indicator.Signal?
    var sha256: String?
    var spki_sha256: String?
    var sha1: String?
    var serial: String?
    var subject: String?
    var issuer: String?
    var subject_key_id: String?
    var not_before: String?
    var not_after: String?
    var verification: String?
    var sources: [String]?
    var notes: String?
    var pem_file: String?
}
