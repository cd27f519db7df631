import Testing
import Wire
import Certificates

/// `CertificateIdentity` (what an indicator keeps) is, field for field, what the full
/// `CertificateDescription` says of the same certificate.
@Suite struct CertificateIdentityTests {
    @Test func everyFieldIsTheDescriptions() throws {
        let certificates = CertificateSources.generated() + (CertificateSources.system() ?? [])
            + (CertificateSources.indicators() ?? [])
        var checked = 0
        for certificate in certificates {
            guard let view = try? CertificateView(der: certificate.der.span) else { continue }
            let identity = CertificateIdentity(view)
            let description = CertificateDescription(view)
            #expect(identity.sha256 == description.sha256, "\(certificate.name)")
            #expect(identity.sha1 == description.sha1, "\(certificate.name)")
            #expect(identity.spkiSHA256 == description.spkiSHA256, "\(certificate.name)")
            #expect(identity.serialNumberHex == description.serialNumberHex, "\(certificate.name)")
            #expect(identity.subject == description.subject, "\(certificate.name)")
            #expect(identity.issuer == description.issuer, "\(certificate.name)")
            #expect(identity.subjectCommonName == description.subjectAttributes.commonName.first, "\(certificate.name)")
            #expect(identity.subjectKeyIdentifier == description.subjectKeyIdentifier, "\(certificate.name)")
            #expect(identity.notBefore == description.notBefore, "\(certificate.name)")
            #expect(identity.notAfter == description.notAfter, "\(certificate.name)")
            checked += 1
        }
        #expect(checked >= 50)
    }
}
