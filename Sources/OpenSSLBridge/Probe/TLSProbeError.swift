/// Why a probe did not complete, in words.
public struct TLSProbeError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case connectRefused = "connection-refused"
        case connectFailed = "connect-failed"
        case timeout
        case handshakeFailed = "handshake-failed"
        case handshakeTooLarge = "handshake-too-large"
        case closed = "connection-closed"
        case invalidRequest = "invalid-request"
        /// With `clientHelloTTL`: an ICMP error (time exceeded, or host unreachable) came back for
        /// the connection — the hop limit ran out before whatever answers TLS.
        case timeExceeded = "time-exceeded"
    }

    public var kind: Kind
    /// OpenSSL's reason, the TLS alert or the errno text, with what the probe was doing.
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "\(kind.rawValue): \(detail)" }
}
