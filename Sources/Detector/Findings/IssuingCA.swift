import Certificates

/// The CA a finding is about, by the strongest handle the evidence has on it. Alerts about the
/// same CA, server name and server are deduplicated on it.
public enum IssuingCA: Hashable, Sendable {
    /// The SHA-256 of the CA's SubjectPublicKeyInfo (lowercase hex): an indicator whose key is known.
    case publicKey(String)
    /// The issued certificate's authority key identifier (lowercase hex).
    case keyIdentifier(String)
    /// The issuer's distinguished name (RFC 2253), when the certificate names no key identifier.
    case name(String)

    /// The CA that issued `certificate`, as the certificate names it.
    public init?(issuerOf certificate: KnownCertificate) {
        if let identifier = certificate.authorityKeyIdentifier {
            self = .keyIdentifier(identifier)
        } else if let name = certificate.issuerName {
            self = .name(name)
        } else {
            return nil
        }
    }

    /// From `key`'s string.
    public init?(key: String) {
        if key.hasPrefix("spki:") { self = .publicKey(String(key.dropFirst(5))) }
        else if key.hasPrefix("aki:") { self = .keyIdentifier(String(key.dropFirst(4))) }
        else if key.hasPrefix("dn:") { self = .name(String(key.dropFirst(3))) }
        else { return nil }
    }

    /// One string for keys and logs: `spki:…`, `aki:…` or `dn:…`.
    public var key: String {
        switch self {
        case .publicKey(let hex): "spki:" + hex
        case .keyIdentifier(let hex): "aki:" + hex
        case .name(let name): "dn:" + name
        }
    }
}
