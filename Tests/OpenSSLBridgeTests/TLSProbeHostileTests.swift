import Foundation
import OpenSSLBridge
import Testing
import TestSupport

/// `TLSProbe` against servers built to hurt a TLS client (python3 on loopback): a Certificate
/// message of 10 000 certificates, 64 MiB of handshake records that never finish a handshake, an
/// SSH server. Each ends in the error it should, in bounded time.
@Suite struct TLSProbeHostileTests {
    /// A small real certificate (self-signed, EC P-256, about 370 bytes) as DER in a file.
    static func certificateFile() throws -> (kit: OpenSSLKit, path: String, size: Int) {
        let kit = try OpenSSLKit()
        try kit.run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "self.key"])
        try kit.root("self", key: "self", subject: "/CN=probe.example")
        let der = try kit.der("self")
        return (kit, kit.path("self.der"), der.count)
    }

    static func request(_ port: UInt16, timeout: Double = 5) -> TLSProbeRequest {
        var request = TLSProbeRequest(host: "127.0.0.1", port: port, serverName: "probe.example")
        request.versions = .tls12
        request.timeoutSeconds = timeout
        return request
    }

    static func failure(_ request: TLSProbeRequest) -> (error: TLSProbeError?, seconds: Double) {
        let started = Date()
        let result = TLSProbe.run(request)
        let seconds = Date().timeIntervalSince(started)
        if case .failure(let error) = result { return (error, seconds) }
        return (nil, seconds)
    }

    @Test func tenThousandCertificatesAreRefusedByTheirMessageLength() throws {
        let certificate = try Self.certificateFile()
        let server = try HostileTLSServer("certificates", arguments: [certificate.path, "10000"])
        defer { server.stop() }
        // 10 000 × (3 + ~370) bytes ≈ 3.7 MB: over the 256 KiB message limit, refused from its header.
        let (error, seconds) = Self.failure(Self.request(server.port))
        #expect(error?.kind == .handshakeTooLarge, "\(String(describing: error))")
        #expect(error?.detail.contains("excessive message size") == true, "\(String(describing: error))")
        #expect(seconds < 2, "\(seconds) s")
    }

    /// As many certificates as fit under the 256 KiB message limit (≈ 700 × ~370 bytes): libssl
    /// parses every one (about 0.35 ms each in OpenSSL 3.0, its key decoder) inside one
    /// SSL_do_handshake call, which the probe's deadline cannot interrupt — so the probe may
    /// outlast its timeout by that parse time, bounded by the message limit.
    @Test func aCertificateListJustUnderTheLimitIsParsedAndTheHandshakeStillEnds() throws {
        let certificate = try Self.certificateFile()
        let count = TLSProbeRequest.defaultMaxHandshakeBytes / (3 + certificate.size) - 10
        #expect(count > 600)
        let server = try HostileTLSServer("certificates", arguments: [certificate.path, String(count)])
        defer { server.stop() }
        let (error, seconds) = Self.failure(Self.request(server.port, timeout: 1))
        // Then ServerHelloDone where the ECDHE key exchange must be.
        #expect(error?.kind == .handshakeFailed, "\(String(describing: error))")
        #expect(error?.detail.contains("unexpected message") == true, "\(String(describing: error))")
        #expect(seconds < 1 + 1, "\(seconds) s")
    }

    @Test func sixtyFourMiBOfHandshakeRecordsStopAtTheByteLimit() throws {
        let server = try HostileTLSServer("hello-requests")
        defer { server.stop() }
        for versions in [TLSProbeVersions.tls12, .any] {
            var request = Self.request(server.port)
            request.versions = versions
            let (error, seconds) = Self.failure(request)
            #expect(error?.kind == .handshakeTooLarge, "\(versions): \(String(describing: error))")
            // The default limit: twice 256 KiB plus 64 KiB read, then the probe hangs up.
            #expect(error?.detail.contains("without a complete handshake (limit \(2 * TLSProbeRequest.defaultMaxHandshakeBytes + 65_536))") == true,
                    "\(String(describing: error))")
            #expect(seconds < 3, "\(versions): \(seconds) s")
        }
        // The server stopped sending long before its 64 MiB: the probe's reset ended its writes.
        let sent = try #require(server.bytesSent(waiting: 3))
        #expect(sent < 16 << 20, "\(sent) bytes sent")
    }

    @Test func anSSHServerIsNotTLS() throws {
        let server = try HostileTLSServer("ssh")
        defer { server.stop() }
        for versions in [TLSProbeVersions.tls12, .tls13, .any] {
            var request = Self.request(server.port)
            request.versions = versions
            let (error, seconds) = Self.failure(request)
            #expect(error?.kind == .handshakeFailed, "\(versions): \(String(describing: error))")
            #expect(error?.detail.contains("wrong version number") == true, "\(versions): \(String(describing: error))")
            #expect(seconds < 2, "\(versions): \(seconds) s")
        }
    }
}
