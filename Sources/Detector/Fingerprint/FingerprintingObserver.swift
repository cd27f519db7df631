import Sniffer
import Certificates

/// A `TLSObserver` that fingerprints each certificate (SHA-256, through the certificate cache)
/// and passes finished sessions on.
public struct FingerprintingObserver: TLSObserver {
    private let onSession: (TLSSession) -> Void
    public private(set) var cache: CertificateCache

    public init(cache: CertificateCache = CertificateCache(), onSession: @escaping (TLSSession) -> Void) {
        self.cache = cache
        self.onSession = onSession
    }

    public mutating func certificates(
        _ chain: borrowing CertificateChainView, from sender: EndpointRole, session: borrowing TLSSession, at time: Timestamp
    ) -> [CertificateFingerprint] {
        var fingerprints: [CertificateFingerprint] = []
        chain.forEach { der in fingerprints.append(cache.lookup(der).sha256) }
        return fingerprints
    }

    public mutating func sessionEnded(_ session: TLSSession) {
        onSession(session)
    }
}
