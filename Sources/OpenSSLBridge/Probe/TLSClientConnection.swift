import COpenSSL

/// One libssl client (SSL_CTX + SSL) set up for a probe, reading and writing through memory BIOs:
/// the caller moves bytes between them and the socket, so no OpenSSL call ever blocks or writes
/// to the socket itself (no SIGPIPE from libssl's socket BIO), and every byte read is counted.
@safe
final class TLSClientConnection {
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    /// What the server sent, for libssl to read (owned by `ssl`).
    private let input: OpaquePointer
    /// What libssl wrote, for the socket (owned by `ssl`).
    private let output: OpaquePointer
    /// The largest handshake message accepted (SSL_set_max_cert_list).
    private var messageLimit = 0

    /// A failure with OpenSSL's reasons when libssl cannot set up a client with these settings.
    static func make(_ request: TLSProbeRequest) -> Result<TLSClientConnection, TLSProbeError> {
        ERR_clear_error()
        // unsafe: every object made here is owned by the connection (the BIOs through `ssl`) and
        // freed in deinit or before returning a failure.
        guard let context = unsafe SSL_CTX_new(TLS_client_method()) else { return .failure(setupFailure("SSL_CTX_new", kind: .handshakeFailed)) }
        guard let ssl = unsafe SSL_new(context) else {
            unsafe SSL_CTX_free(context)
            return .failure(setupFailure("SSL_new", kind: .handshakeFailed))
        }
        guard let input = unsafe BIO_new(BIO_s_mem()), let output = unsafe BIO_new(BIO_s_mem()) else {
            unsafe SSL_free(ssl)
            unsafe SSL_CTX_free(context)
            return .failure(setupFailure("BIO_new", kind: .handshakeFailed))
        }
        unsafe SSL_set_bio(ssl, input, output)
        let connection = unsafe TLSClientConnection(context: context, ssl: ssl, input: input, output: output)
        if let problem = connection.configure(request) { return .failure(problem) }
        return .success(connection)
    }

    @unsafe
    private init(context: OpaquePointer, ssl: OpaquePointer, input: OpaquePointer, output: OpaquePointer) {
        unsafe self.context = context
        unsafe self.ssl = ssl
        unsafe self.input = input
        unsafe self.output = output
    }

    deinit {
        // unsafe: the last use of both objects; SSL_free frees the two BIOs too.
        unsafe SSL_free(ssl)
        unsafe SSL_CTX_free(context)
    }

    private func configure(_ request: TLSProbeRequest) -> TLSProbeError? {
        let (lowest, highest) = switch request.versions {
        case .tls12: (TLS1_2_VERSION, TLS1_2_VERSION)
        case .tls13: (TLS1_3_VERSION, TLS1_3_VERSION)
        case .any: (TLS1_2_VERSION, TLS1_3_VERSION)
        }
        // unsafe: `ssl` is live (owned by self); the strings and ALPN bytes are copied by libssl.
        unsafe SSL_set_verify(ssl, SSL_VERIFY_NONE, nil)
        // Security level 0: a probe sends no secrets, and an interceptor's weak key or SHA-1
        // signature must not stop it from seeing the chain.
        unsafe SSL_set_security_level(ssl, 0)
        guard unsafe mw_SSL_set_min_proto_version(ssl, lowest) == 1,
              unsafe mw_SSL_set_max_proto_version(ssl, highest) == 1 else { return Self.setupFailure("the protocol versions") }
        unsafe mw_SSL_set_max_cert_list(ssl, request.maxHandshakeBytes)
        messageLimit = request.maxHandshakeBytes
        if let name = request.serverName, unsafe mw_SSL_set_tlsext_host_name(ssl, name) != 1 {
            return Self.setupFailure("the server name")
        }
        if !request.alpn.isEmpty {
            let wire = request.alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
            // SSL_set_alpn_protos returns 0 on success.
            guard unsafe SSL_set_alpn_protos(ssl, wire, UInt32(wire.count)) == 0 else { return Self.setupFailure("ALPN") }
        }
        // Asks for SCTs in the TLS extension; permissive: their validity never fails the handshake.
        guard unsafe SSL_enable_ct(ssl, Int32(SSL_CT_VALIDATION_PERMISSIVE)) == 1,
              unsafe mw_SSL_request_ocsp_status(ssl) == 1 else { return Self.setupFailure("status requests") }
        return nil
    }

    enum Step {
        case done
        /// libssl needs more of the server's bytes.
        case wantsInput
        case failed(TLSProbeError)
    }

    /// Runs the handshake as far as the bytes given so far allow.
    func advance() -> Step {
        ERR_clear_error()
        // unsafe: `ssl` is live; with memory BIOs SSL_connect never blocks.
        let status = unsafe SSL_connect(ssl)
        if status == 1 { return .done }
        let code = unsafe SSL_get_error(ssl, status)
        if code == SSL_ERROR_WANT_READ { return .wantsInput }
        return .failed(handshakeFailure(code))
    }

    /// Hands libssl what the server sent.
    func give(_ bytes: [UInt8]) {
        // unsafe: BIO_write copies `count` bytes of the array into the memory BIO.
        _ = unsafe bytes.withUnsafeBytes { unsafe BIO_write(input, $0.baseAddress, Int32($0.count)) }
    }

    /// What libssl wrote for the server since the last call.
    func takeOutput() -> [UInt8] {
        // unsafe: `output` is live, owned by `ssl`.
        let count = unsafe BIO_ctrl_pending(output)
        guard count > 0, count <= Int32.max else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        // unsafe: BIO_read writes at most `count` bytes into the array's own storage.
        let read = unsafe bytes.withUnsafeMutableBytes { unsafe BIO_read(output, $0.baseAddress, Int32($0.count)) }
        return read > 0 ? Array(bytes.prefix(Int(read))) : []
    }

    /// Sends close_notify into the output (best effort; the caller decides whether to send it).
    func shutdown() {
        // unsafe: `ssl` is live; with memory BIOs SSL_shutdown only writes close_notify into `output`.
        _ = unsafe SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// DER of every certificate the server sent, leaf first (a client's peer chain includes the leaf).
    var peerChain: [[UInt8]] {
        // unsafe: the stack and its certificates are borrowed from `ssl`, alive for this call; i2d
        // writes exactly the length it first reports into an array of that size.
        guard let stack = unsafe SSL_get_peer_cert_chain(ssl) else { return [] }
        var chain: [[UInt8]] = []
        let count = unsafe mw_sk_X509_num(stack)
        for index in 0..<count {
            guard let certificate = unsafe mw_sk_X509_value(stack, index) else { continue }
            let length = unsafe i2d_X509(certificate, nil)
            guard length > 0 else { continue }
            var der = [UInt8](repeating: 0, count: Int(length))
            let written = unsafe der.withUnsafeMutableBufferPointer { buffer in
                var cursor = buffer.baseAddress
                return unsafe i2d_X509(certificate, &cursor)
            }
            if written == length { chain.append(der) }
        }
        ERR_clear_error()
        return chain
    }

    // unsafe: a read of the live `ssl` (so are `group` and `extensionSCTCount`).
    var protocolVersion: UInt16 { UInt16(truncatingIfNeeded: unsafe SSL_version(ssl)) }

    var cipherSuite: UInt16 {
        // unsafe: `ssl` is live; the cipher is a static libssl object.
        guard let cipher = unsafe SSL_get_current_cipher(ssl) else { return 0 }
        return unsafe SSL_CIPHER_get_protocol_id(cipher)
    }

    var group: UInt16? { NamedGroup.ianaCode(negotiated: unsafe mw_SSL_get_negotiated_group(ssl)) }

    var selectedALPN: String? {
        var data: UnsafePointer<UInt8>? = nil
        var length: UInt32 = 0
        // unsafe: the selected protocol is borrowed from `ssl` and copied at once.
        unsafe SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data = unsafe data, length > 0 else { return nil }
        return unsafe String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    var stapledOCSPResponse: [UInt8]? {
        var data: UnsafePointer<UInt8>? = nil
        // unsafe: the response is borrowed from `ssl` and copied at once.
        let length = unsafe mw_SSL_get_ocsp_response(ssl, &data)
        guard let data = unsafe data, length >= 0 else { return nil }
        return unsafe Array(UnsafeBufferPointer(start: data, count: Int(length)))
    }

    /// Parses the SCTs libssl kept (extension, stapled response, leaf) and counts the extension's.
    var extensionSCTCount: Int {
        defer { ERR_clear_error() }
        return Int(unsafe mw_SSL_count_extension_scts(ssl))
    }

    private static func setupFailure(_ what: String, kind: TLSProbeError.Kind = .invalidRequest) -> TLSProbeError {
        TLSProbeError(kind, "OpenSSL refused \(what): \(OpenSSLErrors.drain().text ?? "no reason given")")
    }

    private func handshakeFailure(_ code: Int32) -> TLSProbeError {
        let errors = OpenSSLErrors.drain()
        if errors.excessiveMessage {
            return TLSProbeError(.handshakeTooLarge,
                                 "a handshake message is larger than allowed (certificate list limit \(messageLimit) bytes; OpenSSL: \(errors.text ?? "excessive message size"))")
        }
        let reason = errors.text ?? (code == SSL_ERROR_SYSCALL ? "the connection ended" : "SSL_get_error \(code)")
        return TLSProbeError(.handshakeFailed, "OpenSSL: \(reason)")
    }
}
