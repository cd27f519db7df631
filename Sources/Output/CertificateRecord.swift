import Detector
import Wire
import Certificates

/// A certificate as `mitmwatch inspect` prints it: ECS `x509.*`, `hash.*`, and `mitmwatch.*` for
/// what ECS does not name.
public enum CertificateRecord {
    /// Appends the certificate's record as one line.
    public static func write(_ c: CertificateDescription, path: String, location: String, into json: inout JSONBuffer) {
        json.beginRecord()
        json.beginObject("file"); json.field("path", path); json.endObject()
        json.beginObject("x509")
        json.field("version_number", String(c.versionNumber))
        json.field("serial_number", c.serialNumberHex)
        json.field("signature_algorithm", c.signatureAlgorithmName ?? c.signatureAlgorithmOID)
        json.beginObject("issuer"); name(c.issuer, c.issuerAttributes, into: &json); json.endObject()
        json.beginObject("subject"); name(c.subject, c.subjectAttributes, into: &json); json.endObject()
        json.field("not_before", dateSeconds: c.notBefore)
        json.field("not_after", dateSeconds: c.notAfter)
        json.field("public_key_algorithm", c.publicKeyAlgorithmName ?? c.publicKeyAlgorithmOID)
        json.field("public_key_size", c.publicKeySize)
        json.field("public_key_exponent", c.rsaExponent)
        json.field("public_key_curve", c.publicKeyCurveName)
        json.field("alternative_names", c.alternativeNames.isEmpty ? nil : c.alternativeNames)
        json.endObject()
        json.beginObject("hash")
        json.field("sha256", c.sha256)
        json.field("sha1", c.sha1)
        json.endObject()
        json.beginObject("mitmwatch")
        json.field("source", location)
        json.field("spki_sha256", c.spkiSHA256)
        json.field("signature_algorithm_oid", c.signatureAlgorithmOID)
        json.field("public_key_algorithm_oid", c.publicKeyAlgorithmOID)
        json.field("public_key_curve_oid", c.publicKeyCurveOID)
        json.field("is_ca", c.isCA)
        json.field("path_len", c.pathLength)
        json.field("key_usage", c.keyUsage)
        json.field("extended_key_usage", c.extendedKeyUsage)
        json.field("subject_key_identifier", c.subjectKeyIdentifier)
        if let identifier = c.authorityKeyIdentifier {
            json.beginObject("authority_key_identifier"); json.field("key_identifier", identifier); json.endObject()
        }
        json.beginObject("san")
        json.field("dns", c.sanDNS.isEmpty ? nil : c.sanDNS)
        json.field("ip", c.sanIP.isEmpty ? nil : c.sanIP)
        json.field("email", c.sanEmail.isEmpty ? nil : c.sanEmail)
        json.field("uri", c.sanURI.isEmpty ? nil : c.sanURI)
        json.endObject()
        json.field("sct_count", c.sctCount)
        json.beginObject("authority_info_access")
        json.field("ocsp", c.ocspURIs.isEmpty ? nil : c.ocspURIs)
        json.field("ca_issuers", c.caIssuerURIs.isEmpty ? nil : c.caIssuerURIs)
        json.endObject()
        json.field("crl_distribution_points", c.crlDistributionURIs.isEmpty ? nil : c.crlDistributionURIs)
        json.field("certificate_policies", c.policyOIDs)
        json.beginArray("extensions")
        for entry in c.extensions {
            json.beginObjectElement()
            json.field("oid", entry.oid)
            json.field("critical", entry.critical)
            json.endObject()
        }
        json.endArray()
        json.field("notes", c.notes.isEmpty ? nil : c.notes)
        json.endObject()
        json.endRecord()
    }

    private static func name(_ dn: String, _ a: CertificateDescription.NameAttributes, into json: inout JSONBuffer) {
        json.field("distinguished_name", dn)
        json.field("common_name", a.commonName.isEmpty ? nil : a.commonName)
        json.field("organization", a.organization.isEmpty ? nil : a.organization)
        json.field("organizational_unit", a.organizationalUnit.isEmpty ? nil : a.organizationalUnit)
        json.field("country", a.country.isEmpty ? nil : a.country)
        json.field("locality", a.locality.isEmpty ? nil : a.locality)
        json.field("state_or_province", a.stateOrProvince.isEmpty ? nil : a.stateOrProvince)
    }

    /// RFC 3339 UTC to the second, right for every year 0000–9999.
    public static func date(_ seconds: Int64) -> String {
        var json = JSONBuffer(capacity: 32)
        json.date(seconds: seconds)
        return String(utf8: json.bytes.span.extracting(1..<json.count - 1))
    }

    /// A readable block for people.
    public static func text(_ c: CertificateDescription, path: String, location: String) -> String {
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
