import Sniffer

/// A `TLSObserver` that fingerprints each certificate (SHA-256) and passes finished sessions on.
public struct FingerprintingObserver: TLSObserver {
    private let onSession: (TLSSession) -> Void

    public init(onSession: @escaping (TLSSession) -> Void) {
        self.onSession = onSession
    }

    public mutating func certificates(
        _ chain: borrowing CertificateChainView, from sender: EndpointRole, session: borrowing TLSSession
    ) -> [CertificateFingerprint] {
        var fingerprints: [CertificateFingerprint] = []
        chain.forEach { der in fingerprints.append(CertificateHasher.sha256(der)) }
        return fingerprints
    }

    public mutating func sessionEnded(_ session: TLSSession) {
        onSession(session)
    }
}
