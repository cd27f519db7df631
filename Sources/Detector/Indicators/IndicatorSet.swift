import Foundation
import Sniffer
import Wire
import Certificates

/// Every loaded indicator, indexed by certificate SHA-256, SPKI SHA-256, SHA-1, subject name and
/// subject key identifier.
public struct IndicatorSet: Sendable {
    public private(set) var indicators: [Indicator] = []
    // Digests are keyed as fingerprints, so the per-session lookup never formats hex.
    private var bySHA256: [CertificateFingerprint: [Int]] = [:]
    private var bySPKI: [CertificateFingerprint: [Int]] = [:]
    private var bySHA1: [String: [Int]] = [:]
    private var bySubject: [String: [Int]] = [:]
    private var bySKI: [String: [Int]] = [:]

    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public var source: String
        public var reason: String
        public var description: String { "indicators \(source): \(reason)" }
    }

    public init() {}

    /// The verified set shipped with mitmwatch (a copy of the shared `indicators/` data).
    public static func builtIn() -> IndicatorSet {
        var set = IndicatorSet()
        do {
            try set.addJSON(Data(BuiltInIndicatorData.json.utf8), origin: "built-in") { path in
                BuiltInIndicatorData.pems[path].map { Array($0.utf8) }
            }
        } catch {
            preconditionFailure("the built-in indicator data does not load: \(error)")
        }
        return set
    }

    public func indicator(id: String) -> Indicator? { indicators.first { $0.id == id } }

    // MARK: Loading

    /// A JSON list of indicators (the built-in format, or just `name` plus digests).
    public mutating func add(jsonFile path: String) throws(LoadError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LoadError(source: path, reason: "cannot read: \(error.localizedDescription)")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try addJSON(data, origin: path) { relative in
            (try? Data(contentsOf: directory.appendingPathComponent(relative))).map { [UInt8]($0) }
        }
    }

    /// Every PEM/DER certificate file in a directory (e.g. Chromium's blocklist, files named by
    /// their SHA-256); each certificate becomes an indicator named after its file and subject.
    public mutating func add(directory path: String, signal: Indicator.Signal = .interceptionObserved) throws(LoadError) {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path).sorted() } catch {
            throw LoadError(source: path, reason: "cannot list: \(error.localizedDescription)")
        }
        for name in names where [".pem", ".crt", ".cer", ".der"].contains(where: name.lowercased().hasSuffix) {
            let file = path + "/" + name
            guard let data = FileManager.default.contents(atPath: file) else {
                throw LoadError(source: file, reason: "cannot read")
            }
            let entries: [CertificateFile.Entry]
            do { entries = try CertificateFile.entries(in: [UInt8](data)) } catch {
                throw LoadError(source: file, reason: error.description)
            }
            for (index, entry) in entries.enumerated() {
                let stem = (name as NSString).deletingPathExtension
                let id = entries.count > 1 ? "\(stem)#\(index + 1)" : stem
                try append(certificateIndicator(der: entry.der, id: id, signal: signal, origin: file))
            }
        }
    }

    mutating func addJSON(_ data: Data, origin: String, pem: (String) -> [UInt8]?) throws(LoadError) {
        let records: [IndicatorRecord]
        do { records = try JSONDecoder().decode([IndicatorRecord].self, from: data) } catch {
            throw LoadError(source: origin, reason: "not a JSON list of indicators: \(error)")
        }
        for (index, record) in records.enumerated() {
            var der: [UInt8]?
            if let file = record.pem_file {
                guard let bytes = pem(file), let first = try? CertificateFile.entries(in: bytes).first else {
                    throw LoadError(source: origin, reason: "entry \(index) (\(record.name)): pem_file \(file) missing or not a certificate")
                }
                der = first.der
            }
            var indicator: Indicator
            if let der {
                indicator = try certificateIndicator(der: der, id: record.id ?? record.name, signal: record.signal ?? .interceptionObserved, origin: origin)
                if let expected = record.sha256?.lowercased(), expected != indicator.sha256 {
                    throw LoadError(source: origin, reason: "entry \(index) (\(record.name)): sha256 \(expected) does not match its certificate \(indicator.sha256 ?? "")")
                }
            } else {
                indicator = Indicator(id: record.id ?? record.name, name: record.name, signal: record.signal ?? .interceptionObserved,
                                      sha256: record.sha256?.lowercased(), spkiSHA256: record.spki_sha256?.lowercased(),
                                      sha1: record.sha1?.lowercased(), serial: record.serial, subject: record.subject,
                                      issuer: record.issuer, subjectKeyIdentifier: record.subject_key_id?.lowercased(),
                                      sources: [], origin: origin)
            }
            indicator.name = record.name
            indicator.country = record.country
            indicator.years = record.years
            indicator.kind = record.kind
            indicator.verification = record.verification
            indicator.sources = record.sources ?? []
            indicator.notes = record.notes
            indicator.notBefore = record.not_before ?? indicator.notBefore
            indicator.notAfter = record.not_after ?? indicator.notAfter
            guard indicator.sha256 != nil || indicator.spkiSHA256 != nil || indicator.sha1 != nil || indicator.subject != nil else {
                throw LoadError(source: origin, reason: "entry \(index) (\(record.name)): needs sha256, spki_sha256, sha1 or subject")
            }
            try append(indicator)
        }
    }

    private func certificateIndicator(der: [UInt8], id: String, signal: Indicator.Signal, origin: String) throws(LoadError) -> Indicator {
        let view: CertificateView
        do { view = try CertificateView(der: der.span) } catch {
            throw LoadError(source: origin, reason: "\(id): \(error)")
        }
        let identity = CertificateIdentity(view)
        return Indicator(id: id, name: identity.subjectCommonName ?? identity.subject, signal: signal,
                         sha256: identity.sha256, spkiSHA256: identity.spkiSHA256, sha1: identity.sha1,
                         serial: identity.serialNumberHex, subject: identity.subject, issuer: identity.issuer,
                         subjectKeyIdentifier: identity.subjectKeyIdentifier,
                         notBefore: CertificateDates.rfc3339(identity.notBefore),
                         notAfter: CertificateDates.rfc3339(identity.notAfter),
                         sources: [], certificateDER: der, origin: origin)
    }

    private mutating func append(_ indicator: Indicator) throws(LoadError) {
        guard !indicators.contains(where: { $0.id == indicator.id }) else {
            throw LoadError(source: indicator.origin, reason: "duplicate indicator id \(indicator.id)")
        }
        let position = indicators.count
        indicators.append(indicator)
        if let key = indicator.sha256.flatMap(CertificateFingerprint.init(hex:)) { bySHA256[key, default: []].append(position) }
        if let key = indicator.spkiSHA256.flatMap(CertificateFingerprint.init(hex:)) { bySPKI[key, default: []].append(position) }
        if let key = indicator.sha1 { bySHA1[key, default: []].append(position) }
        if let key = indicator.subject { bySubject[key, default: []].append(position) }
        if let key = indicator.subjectKeyIdentifier { bySKI[key, default: []].append(position) }
    }

    // MARK: Lookups

    public func matching(sha256: CertificateFingerprint) -> [Int] { bySHA256[sha256] ?? [] }
    public func matching(spkiSHA256: CertificateFingerprint) -> [Int] { bySPKI[spkiSHA256] ?? [] }
    public func matching(sha256 hex: String) -> [Int] { CertificateFingerprint(hex: hex).map { matching(sha256: $0) } ?? [] }
    public func matching(sha1: String) -> [Int] { bySHA1[sha1] ?? [] }
    public func matching(subject: String) -> [Int] { bySubject[subject] ?? [] }
    public func matching(subjectKeyIdentifier: String) -> [Int] { bySKI[subjectKeyIdentifier] ?? [] }

    /// Whether any indicator could concern this certificate (by any of its fingerprints, or as
    /// its issuer); false for nearly every certificate on a network.
    public func mayConcern(_ certificate: KnownCertificate) -> Bool {
        bySHA256[certificate.sha256] != nil || bySHA1[certificate.sha1] != nil
            || certificate.spkiSHA256.map { bySPKI[$0] != nil } == true
            || certificate.issuerName.map { bySubject[$0] != nil } == true
            || certificate.authorityKeyIdentifier.map { bySKI[$0] != nil } == true
    }
}

enum CertificateDates {
    static func rfc3339(_ seconds: Int64) -> String { CertificateTime.rfc3339(seconds) }
}
