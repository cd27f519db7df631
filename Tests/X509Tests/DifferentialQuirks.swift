import Detector
import Foundation
import Certificates

/// A difference between the view and OpenSSL that is understood and accepted, with its reason.
/// Each applies only to the certificates its `applies` recognises (named fixtures, a SHA-256,
/// or a precise property of both sides' output), and, for field disagreements, only to the
/// `fields` it lists: any other differing field still fails.
struct Quirk: Sendable {
    var name: String
    var reason: String
    var fields: Set<String> = []
    var applies: @Sendable (Observation) -> Bool

    func explains(_ observation: Observation) -> Bool { applies(observation) }
}

extension Observation {
    var isOpenSSLRejection: Bool {
        if case .openSSLRejects = disagreement { return true }
        return false
    }

    func isGenerated(_ names: Set<String>) -> Bool {
        certificate.source == "generated" && names.contains(certificate.name)
    }

    var sha256: String { Differential.sha256(certificate.der) }
}

enum DifferentialQuirks {
    static let all: [Quirk] = [
        Quirk(
            name: "openssl-rejects-name-value",
            reason: """
                OpenSSL's d2i_X509 decodes every AttributeValue as an MSTRING limited to B_ASN1_PRINTABLE \
                (so VisibleString, GeneralString, INTEGER, OCTET STRING and NULL values are refused) and \
                canonicalises names while parsing (ASN1_STRING_to_UTF8), refusing invalid UTF-8, BMPStrings \
                of odd length or with surrogates and UniversalStrings not a multiple of 4 octets. The view \
                reads names on demand and prints such values as `#`-hex or code unit by code unit, so one \
                odd attribute does not hide a whole (possibly hostile) certificate from detection.
                """,
            applies: { o in
                o.isOpenSSLRejection && o.isGenerated([
                    "name-visible-string", "name-known-type-odd-values", "name-invalid-utf8",
                    "name-bmp-odd-length", "name-bmp-surrogates", "name-universal-bad-length",
                ])
            }),
        Quirk(
            name: "openssl-rejects-non-der-serial",
            reason: """
                OpenSSL's c2i_ASN1_INTEGER refuses an empty INTEGER (ILLEGAL_ZERO_CONTENT) and a padded \
                one (ILLEGAL_PADDING: 00 before a byte < 80, FF before a byte >= 80). The serial is only an \
                identifier, and CAs have shipped odd ones: the view keeps the content octets as stored \
                (notes zero-or-empty-serial for the empty one).
                """,
            applies: { o in
                guard o.isOpenSSLRejection, let serial = o.oursFields?["serial"] else { return false }
                let bytes = Array(serial.utf8)
                if bytes.isEmpty { return o.notes.contains("zero-or-empty-serial") }
                guard bytes.count >= 4, let next = Int(String(serial.dropFirst(2).prefix(1)), radix: 16) else { return false }
                return (serial.hasPrefix("00") && next < 8) || (serial.hasPrefix("FF") && next >= 8)
            }),
        Quirk(
            name: "ber-length",
            reason: """
                arkime_synthetic.pcap carries a certificate whose SubjectPublicKeyInfo length is written \
                as 82 00 94, a non-minimal (BER) length. OpenSSL's decoder accepts BER lengths; the view \
                accepts only DER, which has exactly one encoding per value, so that hashes, byte ranges and \
                certificate identity mean one thing. It must reject at the SPKI (byte 188).
                """,
            applies: { o in
                guard case .viewRejects(let error) = o.disagreement else { return false }
                return o.sha256.hasPrefix("f4576088c7406a7a837953f77c361c4c")
                    && error == X509ParseError(offset: 188, expected: "SubjectPublicKeyInfo")
            }),
        Quirk(
            name: "ber-indefinite-length",
            reason: """
                An element with BER's indefinite length (length octet 80, contents closed by 00 00). \
                OpenSSL's decoder accepts BER; DER allows only the definite form (X.690 §10.1), and \
                BoringSSL's CBS and mozilla::pkix reject it, so browsers do. The view reads DER only, \
                where a certificate has one encoding and its hash, byte ranges and identity mean one \
                thing: it must reject at the very element whose length is indefinite.
                """,
            applies: { o in
                guard case .viewRejects(let error) = o.disagreement else { return false }
                let der = o.certificate.der
                return error.offset >= 0 && error.offset + 1 < der.count && der[error.offset] & 0x1f != 0x1f
                    && der[error.offset + 1] == 0x80
            }),
        Quirk(
            name: "unreadable-time",
            reason: """
                A notBefore or notAfter on a day its month does not have (February 29 outside a leap \
                year, April 31) or in month 13: neither side can read it. OpenSSL's ASN1_TIME_to_tm \
                fails (`openssl x509 -dates` prints "Bad time value") but d2i_X509 keeps the \
                certificate; the view rejects the certificate at that time, as BoringSSL and \
                mozilla::pkix do — a validity that is no date cannot be checked.
                """,
            applies: { o in
                guard case .viewRejects(let error) = o.disagreement, let reference = o.reference else { return false }
                switch error.expected {
                case "notBefore time": return reference["not_before"] == nil
                case "notAfter time": return reference["not_after"] == nil
                default: return false
                }
            }),
        Quirk(
            name: "zone-offset-outside-1900-9999",
            reason: """
                A time with a +hhmm/-hhmm offset whose UTC falls before 1900 or after 9999 (e.g. \
                99991231235959-0100). OpenSSL's ASN1_TIME_to_tm applies a non-zero offset with \
                OPENSSL_gmtime_adj, which refuses results outside 1900–9999, and gives no time; the \
                view applies the offset for any year (and notes unusual-time-encoding).
                """,
            fields: ["not_before", "not_before_text", "not_after", "not_after_text"],
            applies: { o in
                guard o.notes.contains("unusual-time-encoding"), let ours = o.oursFields else { return false }
                return ["not_before", "not_after"].allSatisfy { key in
                    guard o.reference?[key] != ours[key] else { return true }
                    guard o.reference?[key] == nil, let seconds = ours[key].flatMap({ Int64($0) }) else { return false }
                    return seconds < -2_208_988_800 || seconds > 253_402_300_799  // 1900-01-01, 9999-12-31T23:59:59Z
                }
            }),
        Quirk(
            name: "leap-second",
            reason: """
                UTCTime 161231235960Z (the leap second ending 2016). OpenSSL's ASN1_TIME_to_tm allows \
                seconds up to 59 only and gives no time at all (`openssl x509` prints "Bad time value"); \
                the view reads second 60 as one second past :59, 2017-01-01T00:00:00Z.
                """,
            fields: ["not_before", "not_before_text"],
            applies: { o in
                o.isGenerated(["dates-leap-second"]) && o.oursFields?["not_before"] == "1483228800"
                    && o.reference?["not_before"] == nil
            }),
        Quirk(
            name: "duplicate-extension",
            reason: """
                RFC 5280 §4.2 forbids an extension twice. OpenSSL's X509_get_ext_d2i then returns NULL \
                (crit = -2) and reports nothing for it; the view uses the first occurrence and notes \
                duplicate-extension. Applies only to the fields of the extensions OpenSSL found duplicated.
                """,
            fields: ["is_ca", "path_len", "key_usage", "extended_key_usage", "subject_key_identifier",
                     "authority_key_identifier", "san_dns", "san_ip", "san_email", "san_uri", "sct_count",
                     "ocsp", "ca_issuers", "crl_uris", "policies"],
            applies: { o in
                guard o.notes.contains("duplicate-extension"), case .fields(let differing) = o.disagreement else {
                    return false
                }
                let fieldsByOID: [String: Set<String>] = [
                    "2.5.29.19": ["is_ca", "path_len"], "2.5.29.15": ["key_usage"], "2.5.29.37": ["extended_key_usage"],
                    "2.5.29.14": ["subject_key_identifier"], "2.5.29.35": ["authority_key_identifier"],
                    "2.5.29.17": ["san_dns", "san_ip", "san_email", "san_uri"],
                    "1.3.6.1.4.1.11129.2.4.2": ["sct_count"], "1.3.6.1.5.5.7.1.1": ["ocsp", "ca_issuers"],
                    "2.5.29.31": ["crl_uris"], "2.5.29.32": ["policies"],
                ]
                let allowed = Differential.duplicateExtensions(o.certificate.der)
                    .reduce(into: Set<String>()) { $0.formUnion(fieldsByOID[$1] ?? []) }
                return differing.isSubset(of: allowed)
            }),
        Quirk(
            name: "ip-address-length",
            reason: """
                An iPAddress GeneralName of 5 octets (only 4 and 16 are addresses). OpenSSL keeps the \
                entry and prints it as invalid; the view has no address to show and leaves it out of \
                san_ip. Every valid address must still agree.
                """,
            fields: ["san_ip"],
            applies: { o in
                let theirs = Differential.openSSLJSON(o.certificate.der)["san_ip"] as? [String] ?? []
                guard theirs.contains(where: { $0.hasPrefix("<invalid length=") }) else { return false }
                return o.oursFields?["san_ip"] == Differential.list(theirs.filter { !$0.hasPrefix("<invalid length=") })
            }),
    ]
}
