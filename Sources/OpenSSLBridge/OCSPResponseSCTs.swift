import COpenSSL

/// Stapled OCSP responses, read with OpenSSL.
public enum OCSPResponseSCTs {
    /// Whether the response carries SCTs (extension 1.3.6.1.4.1.11129.2.4.5 of one of its single
    /// responses). False for anything OpenSSL cannot read as a basic OCSP response.
    public static func present(in der: [UInt8]) -> Bool {
        defer { ERR_clear_error() }
        return unsafe der.withUnsafeBufferPointer { buffer in
            // unsafe: d2i reads `count` bytes of the array, alive for the call; every object made
            // here is freed before returning, and `single` is borrowed from `basic`.
            var cursor = buffer.baseAddress
            guard let response = unsafe d2i_OCSP_RESPONSE(nil, &cursor, buffer.count) else { return false }
            defer { unsafe OCSP_RESPONSE_free(response) }
            guard let basic = unsafe OCSP_response_get1_basic(response) else { return false }
            defer { unsafe OCSP_BASICRESP_free(basic) }
            var index: Int32 = 0
            while let single = unsafe OCSP_resp_get0(basic, index) {
                if unsafe OCSP_SINGLERESP_get_ext_by_NID(single, NID_ct_cert_scts, -1) >= 0 { return true }
                index += 1
            }
            return false
        }
    }
}
