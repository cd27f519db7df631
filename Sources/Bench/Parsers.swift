import Detector
import OpenSSLReference
import Wire
import Certificates
import X509

/// The four measured bodies. Each takes one certificate's DER and returns a value folded from
/// the fields it extracted (so the work cannot be optimised away); a rejected certificate
/// returns `Parsers.rejected`.
enum Parsers {
    static let rejected: UInt64 = 0xdead_beef

    /// `CertificateView(der:)`: the whole layout (every field, extensions decoded) in its init.
    @inline(__always)
    static func mitmwatchView(_ der: Span<UInt8>) -> UInt64 {
        do {
            let view = try CertificateView(der: der)
            return fold(view.layout)
        } catch {
            return rejected
        }
    }

    /// One reusable OpenSSL digest context, as each mitmwatch worker keeps one.
    nonisolated(unsafe) static let hasher = CertificateHasher()

    /// The view plus the SHA-256 fingerprint (`CertificateHasher.sha256`: OpenSSL EVP with a
    /// reused context, as the certificate cache does).
    @inline(__always)
    static func mitmwatchViewSHA256(_ der: Span<UInt8>) -> UInt64 {
        do {
            let view = try CertificateView(der: der)
            let fingerprint = unsafe hasher.sha256(der)
            return fold(view.layout) &+ fingerprint.words.0
        } catch {
            return rejected
        }
    }

    /// `mw_ref_extract`: d2i_X509, OpenSSL's getters for the same fields, X509_free.
    @inline(__always)
    static func openSSL(_ der: Span<UInt8>) -> UInt64 {
        var fields = mw_ref_fields()
        let ok = unsafe withUnsafeBytes(of: der) { buffer in
            unsafe mw_ref_extract(buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count, &fields)
        }
        guard ok == 1 else { return rejected }
        var sum = UInt64(fields.serial_length)
        sum = sum &* 31 &+ UInt64(fields.subject_der_length) &+ UInt64(fields.issuer_der_length)
        sum = sum &* 31 &+ UInt64(bitPattern: fields.not_after) &+ UInt64(bitPattern: fields.not_before)
        sum = sum &* 31 &+ UInt64(bitPattern: Int64(fields.public_key_bits))
        sum = sum &* 31 &+ UInt64(bitPattern: Int64(fields.extension_count)) &+ UInt64(fields.key_usage)
        sum = sum &* 31 &+ UInt64(bitPattern: Int64(fields.san_count))
        return sum
    }

    /// apple/swift-certificates: `Certificate(derEncoded: Array(der))` — the copy into an Array
    /// is part of its API — then the same fields: serial, issuer, subject, validity, public key
    /// (decoded by the init), the extension list and its typed decoders.
    @inline(__always)
    static func swiftCertificates(_ der: Span<UInt8>) -> UInt64 {
        let bytes = Array(copying: der)
        guard let certificate = try? Certificate(derEncoded: bytes) else { return rejected }
        var sum = UInt64(certificate.serialNumber.bytes.count)
        sum = sum &* 31 &+ UInt64(certificate.issuer.count) &+ UInt64(certificate.subject.count)
        sum = sum &* 31 &+ UInt64(bitPattern: Int64(certificate.notValidAfter.timeIntervalSince1970))
        sum = sum &+ UInt64(bitPattern: Int64(certificate.notValidBefore.timeIntervalSince1970))
        sum = sum &* 31 &+ UInt64(certificate.version == .v3 ? 3 : 1)
        withExtendedLifetime(certificate.publicKey) {}
        let extensions = certificate.extensions
        sum = sum &* 31 &+ UInt64(extensions.count)
        for item in extensions { sum = sum &+ UInt64(item.value.count) }
        if let basic = try? extensions.basicConstraints, case .isCertificateAuthority = basic { sum &+= 1 }
        if let usage = try? extensions.keyUsage { sum &+= UInt64(usage.digitalSignature ? 2 : 4) }
        if let usage = try? extensions.extendedKeyUsage { sum &+= UInt64(usage.count) }
        if let identifier = try? extensions.subjectKeyIdentifier { sum &+= UInt64(identifier.keyIdentifier.count) }
        if let identifier = try? extensions.authorityKeyIdentifier { sum &+= UInt64(identifier.keyIdentifier?.count ?? 0) }
        if let names = try? extensions.subjectAlternativeNames { sum &+= UInt64(names.count) }
        if let access = try? extensions.authorityInformationAccess { sum &+= UInt64(access.count) }
        return sum
    }

    @inline(__always)
    static func fold(_ layout: CertificateLayout) -> UInt64 {
        var sum = UInt64(bitPattern: Int64(layout.serial.count))
        sum = sum &* 31 &+ UInt64(bitPattern: Int64(layout.subject.count)) &+ UInt64(bitPattern: Int64(layout.issuer.count))
        sum = sum &* 31 &+ UInt64(bitPattern: layout.notAfter) &+ UInt64(bitPattern: layout.notBefore)
        sum = sum &* 31 &+ UInt64(bitPattern: Int64(layout.publicKeySize ?? -1))
        sum = sum &* 31 &+ UInt64(bitPattern: Int64(layout.extensions.count)) &+ UInt64(layout.extensions.keyUsage ?? 0xffff)
        sum = sum &* 31 &+ UInt64(bitPattern: Int64(layout.extensions.subjectAltNames.count))
        return sum &+ UInt64(layout.notes.rawValue)
    }
}
