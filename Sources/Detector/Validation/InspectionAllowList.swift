/// Enterprise TLS-inspection CAs whose interception is expected, by SPKI SHA-256: an untrusted
/// chain that runs through one of them does not raise `untrusted-chain`.
///
/// A chain runs through a listed CA when a certificate above the leaf in the chain OpenSSL built
/// has a listed SPKI and no signature in the chain failed: the certificate below it was then
/// verified to be signed with that CA's key, which only its holder can do. Copying a listed CA's
/// certificate into a chain therefore suppresses nothing. The CA's certificate must be part of
/// the built chain: sent by the proxy (most send it), or present in the trust store.
public struct InspectionAllowList: Sendable {
    public private(set) var spkiSHA256: Set<String> = []

    public struct InvalidEntry: Error, CustomStringConvertible, Sendable {
        public var entry: String
        public var description: String { "not an SPKI SHA-256 (64 hex digits): \(entry)" }
    }

    public init() {}

    /// Hex SHA-256s of SubjectPublicKeyInfos; colons and case are ignored.
    public init(spkiSHA256Hex entries: some Sequence<String>) throws(InvalidEntry) {
        for entry in entries {
            let hex = entry.filter { $0 != ":" }.lowercased()
            guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else { throw InvalidEntry(entry: entry) }
            spkiSHA256.insert(hex)
        }
    }

    public var isEmpty: Bool { spkiSHA256.isEmpty }

    /// Whether `verdict` (untrusted) is explained by a listed CA.
    public func suppresses(_ verdict: ChainVerdict) -> Bool {
        guard !verdict.trusted, !spkiSHA256.isEmpty,
              !verdict.reasons.contains(.badSignature), !verdict.reasons.contains(.invalidCertificate)
        else { return false }
        return verdict.chainSPKISHA256.dropFirst().contains(where: spkiSHA256.contains)
    }
}
