import Foundation
import Certificates

struct Report {
    var corpusPath: String
    var loaded: Corpus
    var common: Corpus
    var rejectedBy: [String: Int]
    var selfTest: (allocations: UInt64, frees: UInt64, ok: Bool)
    var results: [ParserResult]

    static let notes = [
        "swift-certificates: Certificate(derEncoded:) takes [UInt8], so the Array(der) copy (1 allocation) is part of its API cost and is timed.",
        "swift-certificates: fields read after init: serial, issuer, subject, validity, version, public key (decoded by init), extension list, and the typed decoders basicConstraints, keyUsage, extendedKeyUsage, SKI, AKI, SAN, AIA.",
        "openssl-d2i_X509+getters: mw_ref_extract (Sources/OpenSSLReference): d2i_X509, getters for the same fields (X509_get_extension_flags caches all v3 extensions), X509_free.",
        "mitmwatch-view+sha256 adds CertificateHasher.sha256 (OpenSSL EVP digest, context reused) on the whole DER.",
    ]

    private func result(_ name: String) -> ParserResult? { results.first { $0.name == name } }

    /// How many times faster `fast` is than `slow` (slow ns / fast ns).
    var ratios: [(String, Double)] {
        var out: [(String, Double)] = []
        for (fast, slow) in [
            ("mitmwatch-view", "openssl-d2i_X509+getters"),
            ("mitmwatch-view", "swift-certificates"),
            ("mitmwatch-view+sha256", "openssl-d2i_X509+getters"),
            ("mitmwatch-view+sha256", "swift-certificates"),
        ] {
            guard let a = result(fast), let b = result(slow), a.nsPerCert > 0 else { continue }
            out.append(("\(fast) vs \(slow)", b.nsPerCert / a.nsPerCert))
        }
        return out
    }

    func text() -> String {
        var lines: [String] = []
        let first = results.first
        lines.append("corpus: \(corpusPath)")
        lines.append("  \(loaded.files) files, \(loaded.count) distinct certificates (\(loaded.duplicates) duplicates dropped), "
            + "\(common.count) accepted by all parsers, \(common.storage.count / max(common.count, 1)) bytes mean DER size")
        let rejected = rejectedBy.sorted { $0.key < $1.key }.filter { $0.value > 0 }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append("  rejected by: \(rejected.isEmpty ? "none" : rejected)")
        lines.append("  iterations: \(first?.iterations ?? 0) passes per parser; allocation counter self-test: "
            + "100 arrays -> \(selfTest.allocations) allocations, \(selfTest.frees) frees (ok)")
        lines.append("")
        let header = pad("parser", 26) + padLeft("ns/cert", 11) + padLeft("p10", 11) + padLeft("p90", 11)
            + padLeft("allocs/cert", 13) + padLeft("bytes/cert", 12) + padLeft("checksum", 18)
        lines.append(header)
        lines.append(String(repeating: "-", count: header.count))
        for result in results {
            lines.append(pad(result.name, 26) + padLeft(format(result.nsPerCert, 1), 11)
                + padLeft(format(result.nsP10, 1), 11) + padLeft(format(result.nsP90, 1), 11)
                + padLeft(format(result.allocsPerCert, 2), 13) + padLeft(format(result.bytesPerCert, 0), 12)
                + padLeft(String(result.checksum, radix: 16), 18))
        }
        lines.append("")
        for (name, ratio) in ratios { lines.append("ratio  \(name): \(format(ratio, 1))x faster") }
        lines.append("")
        for note in Self.notes { lines.append("note: \(note)") }
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        var lines: [String] = []
        for result in results {
            let object: [(String, String)] = [
                ("name", quoted(result.name)),
                ("ns_per_cert", format(result.nsPerCert, 2)),
                ("ns_p10", format(result.nsP10, 2)),
                ("ns_p90", format(result.nsP90, 2)),
                ("allocs_per_cert", format(result.allocsPerCert, 3)),
                ("bytes_per_cert", format(result.bytesPerCert, 1)),
                ("certificates", String(result.certificates)),
                ("iterations", String(result.iterations)),
                ("checksum", quoted(String(result.checksum, radix: 16))),
                ("corpus", quoted(corpusPath)),
            ]
            lines.append("{" + object.map { "\(quoted($0.0)): \($0.1)" }.joined(separator: ", ") + "}")
        }
        let ratioFields = ratios.map { "\(quoted($0.0)): \(format($0.1, 2))" }.joined(separator: ", ")
        lines.append("{\"ratios\": {\(ratioFields)}}")
        return lines.joined(separator: "\n")
    }

    private func format(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    private func quoted(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private func pad(_ string: String, _ width: Int) -> String {
        string.count >= width ? string + " " : string + String(repeating: " ", count: width - string.count)
    }

    private func padLeft(_ string: String, _ width: Int) -> String {
        string.count >= width ? " " + string : String(repeating: " ", count: width - string.count) + string
    }
}
