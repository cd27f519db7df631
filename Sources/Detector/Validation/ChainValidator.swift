import OpenSSLBridge
import Sniffer
import Certificates

/// Validates server chains with OpenSSL the way a TLS client would have at capture time: the
/// sent intermediates as untrusted helpers, the trust store's anchors, purpose TLS server, the
/// SNI as the name to match (an IP literal is matched against IP SANs) and the packet's time as
/// "now". Every problem is collected (an expired leaf for the wrong name yields both reasons).
///
/// Chain verdicts are cached without the name, keyed by the SHA-256 of every sent certificate
/// and the capture hour (`unixSeconds / 3600`); the name is matched against the leaf separately
/// (cached per leaf and name), so one verification serves every name a certificate carries. A
/// verdict only depends on the time through the validity periods of the certificates involved, so it is cached only when no notBefore or
/// notAfter of a sent or chain-building certificate falls inside that hour: a certificate
/// expiring at 10:30 is judged afresh at 10:05 and 10:45 rather than served a stale answer.
/// Bounded: two generations of at most `cacheCapacity / 2` verdicts each.
///
/// Not thread-safe: one validator per worker. The `TrustStore` may be shared.
public final class ChainValidator {
    public let trustStore: TrustStore
    private let hasher = CertificateHasher()
    private var cache: VerdictCache
    /// Certificates decoded for verification and name checks (an OpenSSL decode costs about a
    /// thousand allocations; a chain verified again in a later hour, or a leaf's name check after
    /// its chain's verification, reuses it), and the names' answers: bounded (cleared when full).
    private var decodedCertificates: [CertificateFingerprint: OpenSSLCertificate] = [:]
    private var names: [NameKey: NameAnswer] = [:]
    private struct NameKey: Hashable {
        var leaf: CertificateFingerprint
        var name: String
    }
    private struct NameAnswer {
        var mismatch: String?
    }
    public var cacheHits: UInt64 { cache.hits }
    public var cacheMisses: UInt64 { cache.misses }

    public init(trustStore: TrustStore, cacheCapacity: Int = 16_384) {
        self.trustStore = trustStore
        cache = VerdictCache(capacity: cacheCapacity)
    }

    /// The verdict on `chain` (DER, leaf first, as sent) for `hostname` (the SNI; nil or empty:
    /// no name check) at `unixSeconds` (the capture time).
    /// `fingerprints`, when the caller has them (the certificate cache does), are the SHA-256 of
    /// each element of `chain` and spare hashing it again.
    public func verify(chain: [[UInt8]], hostname: String?, at unixSeconds: Int64,
                       fingerprints: [CertificateFingerprint]? = nil) -> ChainVerdict {
        let prints = fingerprints.flatMap { $0.count == chain.count ? $0 : nil } ?? chain.map { hasher.sha256($0.span) }
        let request = Request(fingerprints: prints, hostname: hostname, at: unixSeconds)
        var verdict = cachedVerdict(request) ?? freshVerdict(request, chain: chain)
        if let name = request.name, !chain.isEmpty {
            applyName(nameMismatch(name, leaf: chain[0], fingerprint: prints[0]), to: &verdict)
        }
        return verdict
    }

    /// The verdict on a rule's chain: its DER (the certificates' shared copies) is handed to
    /// OpenSSL only when the verdict, or the leaf's answer for this name, is not cached.
    public func verify(_ context: borrowing ChainContext) -> ChainVerdict {
        // Several rules ask about the same chain one after the other (untrusted-chain, then
        // missing-sct): the last answer is kept, compared by the raw name before normalising it.
        if let last = lastContextVerdict, last.fingerprints == context.fingerprints,
           last.serverName == context.serverName, last.time == context.time.seconds {
            return last.verdict
        }
        let request = Request(fingerprints: context.fingerprints, hostname: context.serverName,
                              at: context.time.seconds)
        var verdict = cachedVerdict(request) ?? freshVerdict(request, chain: context.copyDER())
        if let name = request.name, let leaf = context.fingerprints.first, let der = context.der(at: 0) {
            applyName(nameMismatch(name, leaf: der, fingerprint: leaf), to: &verdict)
        }
        lastContextVerdict = (context.fingerprints, context.serverName, context.time.seconds, verdict)
        return verdict
    }

    private var lastContextVerdict: (fingerprints: [CertificateFingerprint], serverName: String?, time: Int64,
                                     verdict: ChainVerdict)?

    /// What a verdict is asked for: the chain judged without the name, so one OpenSSL
    /// verification serves every name a certificate is used for; the name is then matched
    /// against the leaf on its own.
    private struct Request {
        var key: VerdictCache.Key
        var name: String?
        var time: Int64
        var hour: Int64

        init(fingerprints: [CertificateFingerprint], hostname: String?, at unixSeconds: Int64) {
            // A name that does not normalise ("a..b") is still checked, as sent, and so mismatches.
            name = hostname.flatMap { $0.isEmpty ? nil : HostName.normalise($0) ?? $0 }
            // Years 1 to 9999: beyond them a timestamp is garbage, and the hour arithmetic stays in range.
            time = min(max(unixSeconds, -62_135_596_800), 253_402_300_799)
            hour = time >= 0 ? time / 3600 : (time - 3599) / 3600
            key = VerdictCache.Key(chain: fingerprints, hostname: nil, hour: hour)
        }
    }

    private func cachedVerdict(_ request: Request) -> ChainVerdict? { cache.lookup(request.key) }

    private func freshVerdict(_ request: Request, chain: [[UInt8]]) -> ChainVerdict {
        let (fresh, stableForTheHour) = evaluate(chain: chain, fingerprints: request.key.chain, hostname: nil,
                                                 at: request.time,
                                                 hour: request.hour * 3600...request.hour * 3600 + 3599)
        if stableForTheHour { cache.insert(request.key, fresh) }
        return fresh
    }

    private func applyName(_ mismatch: String?, to verdict: inout ChainVerdict) {
        guard let mismatch else { return }
        verdict.trusted = false
        verdict.anchorSPKISHA256 = nil
        verdict.reasons = UntrustedReason.canonical(verdict.reasons + [.hostnameMismatch])
        verdict.detail = verdict.detail.isEmpty ? mismatch : verdict.detail + "; " + mismatch
    }

    // MARK: Names

    /// Why `name` does not match the leaf (OpenSSL's `X509_check_host` / `X509_check_ip_asc`, as
    /// a client checks it), or nil when it matches or the leaf does not parse (the chain verdict
    /// says so). Decoded leaves and answers are cached.
    private func nameMismatch(_ name: String, leaf der: [UInt8], fingerprint: CertificateFingerprint) -> String? {
        let key = NameKey(leaf: fingerprint, name: name)
        if let known = names[key] { return known.mismatch }
        if names.count >= 16_384 { names.removeAll(keepingCapacity: true) }
        guard let leaf = decodedCertificate(der, fingerprint: fingerprint) else {
            names[key] = NameAnswer(mismatch: nil)
            return nil
        }
        let mismatch = Self.check(name, leaf)
        names[key] = NameAnswer(mismatch: mismatch)
        return mismatch
    }

    private static func check(_ name: String, _ leaf: OpenSSLCertificate) -> String? {
        let cannot = "the name \"\(name)\" cannot be matched against a certificate"
        // OpenSSL would ignore a final NUL; a name with one matches nothing.
        guard !name.utf8.contains(0) else { return cannot }
        switch leaf.match(expected(name)) {
        case .matches: return nil
        case .unusable: return cannot
        case .mismatch(let error): return "\(error.text) (depth \(error.depth))"
        }
    }

    /// The name as OpenSSL is to check it: an IP literal against IP SANs, anything else as a host.
    private static func expected(_ name: String) -> ExpectedName {
        HostName.isIPLiteral(name) ? .ipAddress(HostName.strippingBrackets(name)) : .host(name)
    }

    private func decodedCertificate(_ der: [UInt8], fingerprint: CertificateFingerprint) -> OpenSSLCertificate? {
        if let certificate = decodedCertificates[fingerprint] { return certificate }
        guard let certificate = OpenSSLCertificate(der: der) else { return nil }
        if decodedCertificates.count >= 1024 { decodedCertificates.removeAll(keepingCapacity: true) }
        decodedCertificates[fingerprint] = certificate
        return certificate
    }

    // MARK: Verification

    /// `fingerprints` are the SHA-256 of each element of `chain`.
    private func evaluate(chain: [[UInt8]], fingerprints: [CertificateFingerprint], hostname: String?, at time: Int64,
                          hour: ClosedRange<Int64>) -> (ChainVerdict, Bool) {
        guard !chain.isEmpty else {
            return (ChainVerdict(trusted: false, reasons: [.other], detail: "no certificate"), true)
        }
        let decoded = fingerprints.count == chain.count
            ? chain.indices.map { decodedCertificate(chain[$0], fingerprint: fingerprints[$0]) }
            : chain.map { OpenSSLCertificate(der: $0) }
        guard let leaf = decoded[0] else {
            return (ChainVerdict(trusted: false, reasons: [.invalidCertificate],
                                 detail: "the certificate at depth 0 does not parse"), true)
        }
        var reasons: [UntrustedReason] = []
        var details: [String] = []
        for (depth, certificate) in decoded.enumerated() where certificate == nil {
            reasons.append(.invalidCertificate)
            details.append("the certificate at depth \(depth) does not parse")
        }
        let sent = decoded.compactMap(\.self)
        var name: ExpectedName?
        if let hostname {
            if hostname.utf8.contains(0) {
                // OpenSSL would ignore a final NUL; a name with one matches nothing.
                reasons.append(.hostnameMismatch)
                details.append("the name \"\(hostname)\" cannot be matched against a certificate")
            } else {
                name = Self.expected(hostname)
            }
        }
        guard let result = ChainVerification.verifyTLSServer(
            leaf: leaf, intermediates: Array(sent.dropFirst()), store: trustStore.store, at: time, name: name,
            window: hour, hasher: hasher.digester)
        else {
            return (ChainVerdict(trusted: false, reasons: [.other], detail: "OpenSSL cannot set up the verification"), false)
        }
        if !result.nameAccepted, let hostname {
            reasons.append(.hostnameMismatch)
            details.append("the name \"\(hostname)\" cannot be matched against a certificate")
        }
        for problem in result.problems {
            reasons += UntrustedReason.reasons(for: problem.kind)
            details.append("\(problem.text) (depth \(problem.depth))")
        }
        // OpenSSL does not check a self-signed certificate's own signature (X509_V_FLAG_CHECK_SS_SIGNATURE
        // would, but for trust anchors too, whose self-signatures browsers ignore): check the leaf's
        // here, so a doctored self-signed certificate is `badSignature` as well as `selfSigned`.
        if result.problems.contains(where: { $0.kind == .selfSignedLeaf }), !leaf.isSignedByItsOwnKey {
            reasons.append(.badSignature)
            details.append("certificate signature failure (depth 0)")
        }
        if !result.succeeded && result.problems.isEmpty {
            reasons.append(.other)
            details.append("OpenSSL verification failed (error \(result.finalErrorCode))")
        }

        // The chain OpenSSL built: SPKIs, and whether any validity period (of it or of the sent
        // certificates) begins or ends within the hour.
        let spkis = result.chainSPKISHA256.map { $0.map { CertificateFingerprint($0).description } ?? "" }
        let stable = !result.chainValidityChangesInWindow
            && !sent.contains { $0.validityChanges(within: hour) }

        let trusted = result.succeeded && reasons.isEmpty
        let verdict = ChainVerdict(trusted: trusted, reasons: UntrustedReason.canonical(reasons),
                                   detail: details.joined(separator: "; "),
                                   anchorSPKISHA256: trusted ? spkis.last : nil, chainSPKISHA256: spkis)
        return (verdict, stable)
    }
}

/// Verdicts by chain, name and hour: two generations, least recently used ones fall out.
struct VerdictCache {
    struct Key: Hashable {
        var chain: [CertificateFingerprint]
        var hostname: String?
        var hour: Int64
    }

    private var current: [Key: ChainVerdict] = [:]
    private var previous: [Key: ChainVerdict] = [:]
    let capacity: Int
    private(set) var hits: UInt64 = 0
    private(set) var misses: UInt64 = 0

    init(capacity: Int) { self.capacity = max(2, capacity) }

    mutating func lookup(_ key: Key) -> ChainVerdict? {
        if let verdict = current[key] {
            hits += 1
            return verdict
        }
        if let verdict = previous.removeValue(forKey: key) {
            hits += 1
            insert(key, verdict)
            return verdict
        }
        misses += 1
        return nil
    }

    mutating func insert(_ key: Key, _ verdict: ChainVerdict) {
        if current.count >= capacity / 2 {
            previous = current
            current = [:]
        }
        current[key] = verdict
    }
}
