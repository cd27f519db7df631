import OpenSSLBridge

/// Whether a stapled OCSP response carries SCTs (extension 1.3.6.1.4.1.11129.2.4.5 of its single
/// response), read with OpenSSL.
enum OCSPStapling {
    static func carriesSCTs(_ der: [UInt8]) -> Bool {
        OCSPResponseSCTs.present(in: der)
    }
}
