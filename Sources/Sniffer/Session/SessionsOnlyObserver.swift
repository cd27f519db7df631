import Certificates

/// An observer that judges nothing: it passes each finished session on (its chains'
/// fingerprints are in it). For tools and tests that only want the sessions.
public struct SessionsOnlyObserver: TLSObserver {
    private let onSession: (TLSSession) -> Void

    public init(onSession: @escaping (TLSSession) -> Void) {
        self.onSession = onSession
    }

    public mutating func certificates(
        _ chain: borrowing CertificateChainView, known: [KnownCertificate], from sender: EndpointRole,
        session: borrowing TLSSession, at time: Timestamp
    ) -> (any SessionAnnotation)? { nil }

    public mutating func sessionEnded(_ session: TLSSession) {
        onSession(session)
    }
}
