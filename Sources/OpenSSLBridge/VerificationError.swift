import COpenSSL

/// One problem OpenSSL found with a certificate: its `X509_V_ERR_*` code, classified, the depth
/// of the certificate concerned (0 = leaf) and OpenSSL's text for the code.
public struct VerificationError: Sendable, Equatable {
    /// What a code stands for, in terms that do not need OpenSSL's headers.
    public enum Kind: Sendable, Equatable, CaseIterable {
        /// No issuer found, in the chain or the store.
        case unknownIssuer
        case expired
        case notYetValid
        /// The host name or IP address expected is not the certificate's.
        case hostnameMismatch
        case badSignature
        /// The leaf is self-signed (`DEPTH_ZERO_SELF_SIGNED_CERT`).
        case selfSignedLeaf
        /// The chain ends in a self-signed certificate the store does not hold.
        case selfSignedInChain
        /// A validity time or the issuer's public key cannot be read.
        case invalidField
        /// Anything else (purpose, CA constraints, path length, …).
        case other

        public init(code: Int32) {
            switch code {
            case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                 X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
                self = .unknownIssuer
            case X509_V_ERR_CERT_HAS_EXPIRED: self = .expired
            case X509_V_ERR_CERT_NOT_YET_VALID: self = .notYetValid
            case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH: self = .hostnameMismatch
            case X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE: self = .badSignature
            case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: self = .selfSignedLeaf
            case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: self = .selfSignedInChain
            case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD,
                 X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
                self = .invalidField
            default: self = .other
            }
        }
    }

    public let kind: Kind
    /// OpenSSL's `X509_V_ERR_*` value.
    public let code: Int32
    public let depth: Int
    /// `X509_verify_cert_error_string`, e.g. "unable to get local issuer certificate".
    public let text: String

    public init(code: Int32, depth: Int) {
        kind = Kind(code: code)
        self.code = code
        self.depth = depth
        text = Self.text(code: code)
    }

    /// OpenSSL's text for any code (an unknown one reads "unknown certificate verification error").
    public static func text(code: Int32) -> String {
        // unsafe: OpenSSL returns a static string for every code.
        unsafe String(cString: X509_verify_cert_error_string(Int(code)))
    }
}
