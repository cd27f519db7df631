import COpenSSL

/// This thread's OpenSSL error queue, read and emptied.
struct OpenSSLErrors {
    /// The reasons, oldest first, joined with "; " ("tlsv1 alert protocol version"); nil when none.
    var text: String?
    /// One of them is libssl's "excessive message size" (a handshake message over the limit).
    var excessiveMessage = false

    static func drain() -> OpenSSLErrors {
        var reasons: [String] = []
        var errors = OpenSSLErrors()
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if ERR_GET_LIB(code) == ERR_LIB_SSL, ERR_GET_REASON(code) == SSL_R_EXCESSIVE_MESSAGE_SIZE {
                errors.excessiveMessage = true
            }
            // unsafe: the reason strings are static, NUL-terminated, copied at once.
            if let reason = unsafe ERR_reason_error_string(code) {
                let text = unsafe String(cString: reason)
                if !reasons.contains(text), reasons.count < 8 { reasons.append(text) }
            } else if reasons.count < 8 {
                reasons.append("error \(String(code, radix: 16))")
            }
        }
        errors.text = reasons.isEmpty ? nil : reasons.joined(separator: "; ")
        return errors
    }
}
