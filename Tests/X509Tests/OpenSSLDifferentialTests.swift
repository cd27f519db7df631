import Detector
import Foundation
import OpenSSLReference
import Testing
import Wire
import Certificates

/// The certificate view against OpenSSL, field by field, over every certificate available
/// offline (see `CertificateSources`). Each certificate is parsed by `CertificateView` and
/// described by `CertificateDescription`, and parsed by OpenSSL's `d2i_X509` and described with
/// its getters (`mw_ref_describe` in `Sources/OpenSSLReference`). Both must accept or both must
/// reject, and every field must be equal — or the difference must be one of the narrowly scoped
/// quirks in `DifferentialQuirks.all`, each with its reason. Prints a table per source.
@Suite struct OpenSSLDifferentialTests {
    @Test func everyCertificateAgreesWithOpenSSL() throws {
        var sources: [(String, [SourcedCertificate])] = []
        if let system = CertificateSources.system() {
            sources.append(("system", system))
        } else {
            print("X509 differential: /etc/ssl/certs is missing (install ca-certificates); checking the other sources")
        }
        if let indicators = CertificateSources.indicators() {
            sources.append(("indicators", indicators))
        } else {
            print("X509 differential: \(CertificateSources.shared)/indicators/certs is missing")
        }
        if let corpus = try CertificateSources.corpus() {
            sources.append(("corpus", corpus))
        } else {
            print("X509 differential: \(CertificateSources.shared)/corpus/peers is missing")
        }
        let generated = CertificateSources.generated()
        #expect(generated.count >= 80, "run scripts/make-test-certificates.sh")
        sources.append(("generated", generated))
        sources.append(("crafted", try CraftedCertificates.all()))

        var failures: [String] = []
        var usedQuirks = Set<String>()
        var table = [Differential.row("source", "certificates", "agreeing", "quirks", "failures")]
        var total = (certificates: 0, agreeing: 0, quirks: 0, failures: 0)
        for (source, certificates) in sources {
            var agreeing = 0, quirks = 0, failed = 0
            for certificate in certificates {
                let outcome = Differential.check(certificate)
                Differential.debugDump(certificate, outcome)
                switch outcome {
                case .agree:
                    agreeing += 1
                case .quirk(let names):
                    quirks += 1
                    usedQuirks.formUnion(names)
                case .fail(let message):
                    failed += 1
                    failures.append("\(source)/\(certificate.name) [\(Differential.sha256(certificate.der).prefix(16))]: \(message)")
                }
            }
            table.append(Differential.row(source, certificates.count, agreeing, quirks, failed))
            total.certificates += certificates.count
            total.agreeing += agreeing
            total.quirks += quirks
            total.failures += failed
        }
        table.append(Differential.row("total", total.certificates, total.agreeing, total.quirks, total.failures))
        print("X509 differential against OpenSSL \(OpenSSLVersion.text):\n" + table.joined(separator: "\n"))
        for quirk in DifferentialQuirks.all where usedQuirks.contains(quirk.name) {
            print("  quirk \(quirk.name): \(quirk.reason)")
        }
        for failure in failures {
            Issue.record(Comment(rawValue: failure))
        }
        // A quirk nothing needs any more is stale: drop it rather than keep an excuse around.
        let stale = DifferentialQuirks.all.map(\.name).filter { !usedQuirks.contains($0) }
        #expect(stale.isEmpty || sources.count < 5, "quirks no certificate needs: \(stale)")
    }

    /// `mw_ref_extract` (the benchmark's OpenSSL baseline) sees what `mw_ref_describe` sees.
    @Test func extractAgreesWithDescribe() {
        for certificate in CertificateSources.generated() + ((try? CraftedCertificates.all()) ?? []) {
            var fields = mw_ref_fields()
            let ok = unsafe certificate.der.withUnsafeBufferPointer { unsafe mw_ref_extract($0.baseAddress, $0.count, &fields) }
            let reference = Differential.openSSL(certificate.der)
            #expect((ok == 1) == (reference != nil), "\(certificate.name)")
            guard let reference else { continue }
            #expect(String(fields.version) == reference["version"], "\(certificate.name)")
            #expect(String(fields.public_key_bits) == reference["public_key_bits"], "\(certificate.name)")
            #expect(reference["not_after"] == nil || String(fields.not_after) == reference["not_after"], "\(certificate.name)")
            let sanCount = ["san_dns", "san_ip", "san_email", "san_uri"]
                .map { Differential.openSSLJSON(certificate.der)[$0] as? [String] ?? [] }.map(\.count).reduce(0, +)
            #expect(fields.san_count == -1 ? sanCount == 0 : Int(fields.san_count) >= sanCount, "\(certificate.name)")
            #expect(fields.sct_count == -1 ? reference["sct_count"] == nil : String(fields.sct_count) == reference["sct_count"],
                    "\(certificate.name)")
            let serialHex = Mirror(reflecting: fields.serial).children.compactMap { $0.value as? UInt8 }
                .prefix(min(fields.serial_length, 64)).map { String(format: "%02X", $0) }.joined()
            #expect(reference["serial"]?.hasPrefix(serialHex) == true, "\(certificate.name)")
        }
    }
}

enum OpenSSLVersion {
    static let text: String = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "version"]
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return "(libcrypto)" }
        process.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }()
}

/// Fields as canonical text, keyed as `mw_ref_describe` names them; a key is absent when the
/// certificate does not have the field.
typealias Fields = [String: String]

enum Outcome {
    case agree
    case quirk([String])
    case fail(String)
}

enum Differential {
    static func check(_ certificate: SourcedCertificate) -> Outcome {
        let reference = openSSL(certificate.der)
        let parsed = view(certificate.der)
        let ours = parsed.map(\.fields)
        var observation = Observation(certificate: certificate, reference: reference, ours: ours)
        if case .success(let described) = parsed { observation.notes = Set(described.notes) }
        switch (ours, reference) {
        case (.failure, nil):
            return .agree
        case (.success, nil):
            observation.disagreement = .openSSLRejects
        case (.failure(let error), .some):
            observation.disagreement = .viewRejects(error)
        case (.success(let fields), .some(let theirs)):
            let keys = Set(fields.keys).union(theirs.keys)
            let differing = keys.filter { fields[$0] != theirs[$0] }
            if differing.isEmpty { return .agree }
            observation.disagreement = .fields(Set(differing))
        }
        let matching = DifferentialQuirks.all.filter { $0.explains(observation) }
        // Every differing field must be explained by some quirk that applies to this certificate.
        if case .fields(let differing) = observation.disagreement {
            let explained = matching.reduce(into: Set<String>()) { $0.formUnion($1.fields) }
            let unexplained = differing.subtracting(explained)
            if unexplained.isEmpty, !matching.isEmpty { return .quirk(matching.map(\.name)) }
            return .fail(unexplained.sorted().map { key in
                "\(key): ours \(observation.oursFields?[key] ?? "(absent)"), OpenSSL \(reference?[key] ?? "(absent)")"
            }.joined(separator: "; "))
        }
        if !matching.isEmpty { return .quirk(matching.map(\.name)) }
        switch observation.disagreement {
        case .openSSLRejects: return .fail("the view accepts it, OpenSSL rejects it")
        case .viewRejects(let error): return .fail("OpenSSL accepts it, the view rejects it: \(error)")
        default: return .fail("?")
        }
    }

    /// `X509_DIFF_DUMP=DIR swift test --filter X509`: writes every certificate that is not in
    /// plain agreement to DIR (as `source-name-sha256.der`) and prints both sides' fields.
    static func debugDump(_ certificate: SourcedCertificate, _ outcome: Outcome) {
        let environment = ProcessInfo.processInfo.environment
        guard let directory = environment["X509_DIFF_DUMP"] else { return }
        if case .agree = outcome, environment["X509_DIFF_DUMP_ALL"] == nil { return }
        let file = "\(certificate.source)-\(certificate.name.replacingOccurrences(of: "/", with: "_"))-\(sha256(certificate.der).prefix(12)).der"
        _ = FileManager.default.createFile(atPath: directory + "/" + file, contents: Data(certificate.der))
        let ours = (try? view(certificate.der).get().fields) ?? [:]
        let theirs = openSSL(certificate.der) ?? [:]
        print("== \(file)")
        for key in Set(ours.keys).union(theirs.keys).sorted() {
            print("  \(ours[key] == theirs[key] ? " " : "≠") \(key): ours \(ours[key] ?? "-") | OpenSSL \(theirs[key] ?? "-")")
        }
    }

    /// One line of the summary table: the source left-aligned, the numbers right-aligned.
    static func row(_ columns: Any...) -> String {
        let widths = [12, 13, 10, 8, 10]
        return zip(columns, widths).enumerated().map { index, pair in
            let text = "\(pair.0)"
            let padding = String(repeating: " ", count: max(0, pair.1 - text.count))
            return index == 0 ? text + padding : padding + text
        }.joined()
    }

    /// Our side: the view and its description, as the same fields.
    static func view(_ der: [UInt8]) -> Result<(fields: Fields, notes: [String]), X509ParseError> {
        do {
            let view = try CertificateView(der: der.span)
            let description = CertificateDescription(view)
            return .success((fields(description), description.notes))
        } catch {
            return .failure(error)
        }
    }

    static func fields(_ d: CertificateDescription) -> Fields {
        var f: Fields = [
            "parse_ok": "true",
            "version": String(d.versionNumber),
            "serial": d.serialNumberHex,
            "signature_oid": d.signatureAlgorithmOID,
            "issuer": d.issuer,
            "subject": d.subject,
            "not_before": String(d.notBefore),
            "not_after": String(d.notAfter),
            "not_before_text": CertificateTime.rfc3339(d.notBefore),
            "not_after_text": CertificateTime.rfc3339(d.notAfter),
            "sha256": d.sha256,
            "sha1": d.sha1,
            "spki_sha256": d.spkiSHA256,
            "public_key_oid": d.publicKeyAlgorithmOID,
            "public_key_bits": String(d.publicKeySize ?? -1),
            "san_dns": list(d.sanDNS),
            "san_ip": list(d.sanIP),
            "san_email": list(d.sanEmail),
            "san_uri": list(d.sanURI),
            "ocsp": list(d.ocspURIs),
            "ca_issuers": list(d.caIssuerURIs),
            "crl_uris": list(d.crlDistributionURIs),
            "extensions": list(d.extensions.map { $0.oid + ($0.critical ? " critical" : "") }),
        ]
        f["curve_oid"] = d.publicKeyCurveOID
        f["rsa_exponent"] = d.rsaExponent.map { String($0) }
        f["is_ca"] = d.isCA.map { String($0) }
        f["path_len"] = d.pathLength.map { String($0) }
        f["key_usage"] = d.keyUsage.map(list)
        f["extended_key_usage"] = d.extendedKeyUsage.map(list)
        f["subject_key_identifier"] = d.subjectKeyIdentifier
        f["authority_key_identifier"] = d.authorityKeyIdentifier
        f["sct_count"] = d.sctCount.map { String($0) }
        f["policies"] = d.policyOIDs.map(list)
        return f
    }

    static func list(_ values: [String]) -> String {
        "[" + values.map { String(reflecting: $0) }.joined(separator: ", ") + "]"
    }

    /// OpenSSL's side: nil when `d2i_X509` rejects the certificate.
    static func openSSL(_ der: [UInt8]) -> Fields? {
        let json = describe(der)
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            Issue.record("mw_ref_describe wrote invalid JSON: \(json.prefix(200))")
            return nil
        }
        guard object["parse_ok"] as? Bool == true else { return nil }
        var f: Fields = [:]
        for (key, value) in object {
            switch value {
            case let flag as Bool where key == "parse_ok" || key == "is_ca":
                f[key] = String(flag)
            case let number as NSNumber:
                f[key] = number.stringValue
            case let text as String:
                f[key] = text
            case let strings as [String]:
                f[key] = list(strings)
            case let entries as [[String: Any]]:  // extensions
                f[key] = list(entries.map { entry in
                    (entry["oid"] as? String ?? "?") + (entry["critical"] as? Bool == true ? " critical" : "")
                })
            case let empty as [Any] where empty.isEmpty:
                f[key] = "[]"
            default:
                f[key] = "\(value)"
            }
        }
        f["duplicate_extensions"] = nil  // not a field of ours; quirks read it from `reference`
        return f
    }

    /// OpenSSL's JSON text, also with the keys not compared (duplicate_extensions).
    static func describe(_ der: [UInt8]) -> String {
        var capacity = 1 << 16
        while true {
            var buffer = [UInt8](repeating: 0, count: capacity)
            let length = unsafe der.withUnsafeBufferPointer { input in
                unsafe buffer.withUnsafeMutableBufferPointer { output in
                    unsafe output.withMemoryRebound(to: CChar.self) { chars in
                        unsafe mw_ref_describe(input.baseAddress, input.count, chars.baseAddress, chars.count)
                    }
                }
            }
            precondition(length >= 0, "mw_ref_describe failed")
            if Int(length) < capacity { return String(decoding: buffer.prefix(Int(length)), as: UTF8.self) }
            capacity = Int(length) + 1
        }
    }

    /// `mw_ref_describe`'s JSON object as parsed, for the quirks that need its raw lists.
    static func openSSLJSON(_ der: [UInt8]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(describe(der).utf8)) as? [String: Any]) ?? [:]
    }

    static func duplicateExtensions(_ der: [UInt8]) -> [String] {
        openSSLJSON(der)["duplicate_extensions"] as? [String] ?? []
    }

    static func sha256(_ der: [UInt8]) -> String {
        CertificateHasher.sha256(der.span).description
    }
}

/// What differs between the view and OpenSSL for one certificate.
struct Observation {
    enum Disagreement {
        case none
        case openSSLRejects
        case viewRejects(X509ParseError)
        case fields(Set<String>)
    }

    var certificate: SourcedCertificate
    var reference: Fields?
    var ours: Result<Fields, X509ParseError>
    var disagreement = Disagreement.none
    /// The view's notes (`CertificateNotes` names), when it parsed the certificate.
    var notes: Set<String> = []

    var oursFields: Fields? {
        if case .success(let fields) = ours { return fields }
        return nil
    }
}
