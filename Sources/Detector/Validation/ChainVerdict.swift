import OpenSSLBridge

/// Why a chain did not validate, in the alert's words.
public enum UntrustedReason: String, Sendable, CaseIterable {
    /// No path to a trust anchor: an issuer is neither sent nor in the store, or the chain ends
    /// in a self-signed root the store does not hold (then `selfSigned` is reported as well).
    case unknownIssuer = "unknown-issuer"
    case expired
    case notYetValid = "not-yet-valid"
    case hostnameMismatch = "hostname-mismatch"
    case badSignature = "bad-signature"
    /// The leaf is self-signed, or the sent chain ends in a self-signed root that is not trusted.
    case selfSigned = "self-signed"
    /// A sent certificate OpenSSL cannot parse, or a certificate with an unreadable field.
    case invalidCertificate = "invalid-certificate"
    /// Anything else OpenSSL rejects (purpose, CA constraints, path length, …); see `detail`.
    case other

    /// The reasons a verification error stands for.
    ///
    /// `selfSignedInChain` (the sender included a self-signed root that the store does not hold)
    /// is both `selfSigned` and `unknownIssuer`: the chain reaches no trusted anchor, exactly as
    /// when that root is not sent at all (`unknownIssuer` alone), so a rule can treat "no path to
    /// a trusted root" uniformly while the alert still says the root was self-signed.
    static func reasons(for kind: VerificationError.Kind) -> [UntrustedReason] {
        switch kind {
        case .unknownIssuer: [.unknownIssuer]
        case .expired: [.expired]
        case .notYetValid: [.notYetValid]
        case .hostnameMismatch: [.hostnameMismatch]
        case .badSignature: [.badSignature]
        case .selfSignedLeaf: [.selfSigned]
        case .selfSignedInChain: [.selfSigned, .unknownIssuer]
        case .invalidField: [.invalidCertificate]
        case .other: [.other]
        }
    }

    /// The reasons an OpenSSL `X509_V_ERR_*` code stands for.
    public static func reasons(forOpenSSLError error: Int32) -> [UntrustedReason] {
        reasons(for: VerificationError.Kind(code: error))
    }

    /// `reasons` deduplicated, in declaration order (so equal verdicts compare equal).
    static func canonical(_ reasons: some Sequence<UntrustedReason>) -> [UntrustedReason] {
        let present = Set(reasons)
        return allCases.filter(present.contains)
    }
}

/// The outcome of validating one chain.
public struct ChainVerdict: Sendable, Equatable {
    public var trusted: Bool
    /// Empty when trusted; otherwise at least one reason, deduplicated, in declaration order.
    public var reasons: [UntrustedReason]
    /// OpenSSL's error string(s) with the depth of the certificate concerned, joined with "; ",
    /// e.g. "unable to get local issuer certificate (depth 1)". Empty when trusted.
    public var detail: String
    /// SPKI SHA-256 (lowercase hex) of the trust anchor the chain was built to, when trusted.
    public var anchorSPKISHA256: String?
    /// SPKI SHA-256 (lowercase hex) of every certificate of the chain OpenSSL built, leaf first:
    /// up to the anchor when trusted, as far as issuers were found when not. Each certificate in
    /// it was checked to be signed by the key of the next (a failure is `badSignature`), which is
    /// what makes matching an allow-list against it sound (see `InspectionAllowList`).
    public var chainSPKISHA256: [String]

    public init(trusted: Bool, reasons: [UntrustedReason], detail: String,
                anchorSPKISHA256: String? = nil, chainSPKISHA256: [String] = []) {
        self.trusted = trusted
        self.reasons = reasons
        self.detail = detail
        self.anchorSPKISHA256 = anchorSPKISHA256
        self.chainSPKISHA256 = chainSPKISHA256
    }

    /// The reasons as the alert lists them: "expired, hostname-mismatch".
    public var reasonList: String { reasons.map(\.rawValue).joined(separator: ", ") }
}
