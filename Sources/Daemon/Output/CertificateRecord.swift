import Detector
import Sniffer
import Certificates

/// A certificate as `mitmwatch inspect` prints it: ECS `x509.*`, `hash.*`, and `mitmwatch.*` for
/// what ECS does not name.
enum CertificateRecord {
    static func json(_ c: CertificateDescription, path: String, location: String) -> String {
        var record = JSONObjectWriter()
        record.object("file") { $0.field("path", path) }
        record.object("x509") { x509 in
            x509.field("version_number", String(c.versionNumber))
            x509.field("serial_number", c.serialNumberHex)
            x509.field("signature_algorithm", c.signatureAlgorithmName ?? c.signatureAlgorithmOID)
            x509.object("issuer") { name(&$0, c.issuer, c.issuerAttributes) }
            x509.object("subject") { name(&$0, c.subject, c.subjectAttributes) }
            x509.field("not_before", date(c.notBefore))
            x509.field("not_after", date(c.notAfter))
            x509.field("public_key_algorithm", c.publicKeyAlgorithmName ?? c.publicKeyAlgorithmOID)
            x509.field("public_key_size", c.publicKeySize)
            x509.field("public_key_exponent", c.rsaExponent)
            x509.field("public_key_curve", c.publicKeyCurveName)
            x509.field("alternative_names", c.alternativeNames.isEmpty ? nil : c.alternativeNames)
        }
        record.object("hash") { hash in
            hash.field("sha256", c.sha256)
            hash.field("sha1", c.sha1)
        }
        record.object("mitmwatch") { m in
            m.field("source", location)
            m.field("spki_sha256", c.spkiSHA256)
            m.field("signature_algorithm_oid", c.signatureAlgorithmOID)
            m.field("public_key_algorithm_oid", c.publicKeyAlgorithmOID)
            m.field("public_key_curve_oid", c.publicKeyCurveOID)
            m.field("is_ca", c.isCA)
            m.field("path_len", c.pathLength)
            m.field("key_usage", c.keyUsage)
            m.field("extended_key_usage", c.extendedKeyUsage)
            m.field("subject_key_identifier", c.subjectKeyIdentifier)
            if let identifier = c.authorityKeyIdentifier {
                m.object("authority_key_identifier") { $0.field("key_identifier", identifier) }
            }
            m.object("san") { san in
                san.field("dns", c.sanDNS.isEmpty ? nil : c.sanDNS)
                san.field("ip", c.sanIP.isEmpty ? nil : c.sanIP)
                san.field("email", c.sanEmail.isEmpty ? nil : c.sanEmail)
                san.field("uri", c.sanURI.isEmpty ? nil : c.sanURI)
            }
            m.field("sct_count", c.sctCount)
            m.object("authority_info_access") { aia in
                aia.field("ocsp", c.ocspURIs.isEmpty ? nil : c.ocspURIs)
                aia.field("ca_issuers", c.caIssuerURIs.isEmpty ? nil : c.caIssuerURIs)
            }
            m.field("crl_distribution_points", c.crlDistributionURIs.isEmpty ? nil : c.crlDistributionURIs)
            m.field("certificate_policies", c.policyOIDs)
            m.objects("extensions", c.extensions) { entry, ext in
                entry.field("oid", ext.oid)
                entry.field("critical", ext.critical)
            }
            m.field("notes", c.notes.isEmpty ? nil : c.notes)
        }
        return record.finished
    }

    private static func name(_ writer: inout JSONObjectWriter, _ dn: String, _ a: CertificateDescription.NameAttributes) {
        writer.field("distinguished_name", dn)
        writer.field("common_name", a.commonName.isEmpty ? nil : a.commonName)
        writer.field("organization", a.organization.isEmpty ? nil : a.organization)
        writer.field("organizational_unit", a.organizationalUnit.isEmpty ? nil : a.organizationalUnit)
        writer.field("country", a.country.isEmpty ? nil : a.country)
        writer.field("locality", a.locality.isEmpty ? nil : a.locality)
        writer.field("state_or_province", a.stateOrProvince.isEmpty ? nil : a.stateOrProvince)
    }

    /// A certificate time (any year 0000–9999; not through a nanosecond `Timestamp`).
    static func date(_ seconds: Int64) -> String { CertificateTime.rfc3339(seconds) }

    /// A readable block for people.
    static func text(_ c: CertificateDescription, path: String, location: String) -> String {
        var lines = ["\(path) (\(location))"]
        func add(_ label: String, _ value: String?) {
            if let value { lines.append("  " + label + String(repeating: " ", count: max(1, 26 - label.count)) + value) }
        }
        add("subject", c.subject)
        add("issuer", c.issuer)
        add("serial", c.serialNumberHex)
        add("version", String(c.versionNumber))
        add("validity", "\(date(c.notBefore)) → \(date(c.notAfter))")
        add("signature algorithm", c.signatureAlgorithmName ?? c.signatureAlgorithmOID)
        var key = c.publicKeyAlgorithmName ?? c.publicKeyAlgorithmOID
        if let size = c.publicKeySize { key += " \(size) bits" }
        if let curve = c.publicKeyCurveName { key += " \(curve)" }
        if let exponent = c.rsaExponent { key += ", exponent \(exponent)" }
        add("public key", key)
        add("sha256", c.sha256)
        add("sha1", c.sha1)
        add("spki sha256", c.spkiSHA256)
        if let isCA = c.isCA { add("basic constraints", "CA=\(isCA)" + (c.pathLength.map { ", pathlen=\($0)" } ?? "")) }
        add("key usage", c.keyUsage?.joined(separator: ", "))
        add("extended key usage", c.extendedKeyUsage?.joined(separator: ", "))
        add("subject key id", c.subjectKeyIdentifier)
        add("authority key id", c.authorityKeyIdentifier)
        add("alternative names", c.alternativeNames.isEmpty ? nil : c.alternativeNames.joined(separator: ", "))
        add("embedded SCTs", c.sctCount.map(String.init))
        add("OCSP", c.ocspURIs.isEmpty ? nil : c.ocspURIs.joined(separator: ", "))
        add("CA issuers", c.caIssuerURIs.isEmpty ? nil : c.caIssuerURIs.joined(separator: ", "))
        add("CRL distribution points", c.crlDistributionURIs.isEmpty ? nil : c.crlDistributionURIs.joined(separator: ", "))
        add("policies", c.policyOIDs?.joined(separator: ", "))
        add("extensions", c.extensions.map { $0.oid + ($0.critical ? " (critical)" : "") }.joined(separator: ", "))
        add("notes", c.notes.isEmpty ? nil : c.notes.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}
