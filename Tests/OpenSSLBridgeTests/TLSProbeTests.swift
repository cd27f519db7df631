import Foundation
import OpenSSLBridge
import Testing
import TestSupport

/// `TLSProbe` against real servers on loopback: `openssl s_server` with a three-certificate chain,
/// and python3 listeners that stay silent, answer garbage or reset the connection.
@Suite struct TLSProbeTests {
    @Test func tls13HandshakeShowsTheWholeChainAndWhatWasNegotiated() throws {
        let pki = try ProbeServerPKI()
        let server = try pki.server(["-alpn", "h2"])
        defer { server.stop() }
        var request = TLSProbeRequest(host: "127.0.0.1", port: server.port, serverName: "probe.example")
        request.timeoutSeconds = 5
        request.sourceAddress = "127.0.0.1"
        let result = try TLSProbe.run(request).get()
        #expect(result.chain == [pki.leaf, pki.intermediate, pki.root])
        #expect(result.protocolVersion == 0x0304)
        #expect([0x1301, 0x1302, 0x1303].contains(result.cipherSuite))
        #expect(result.group == 29)  // x25519, libssl's first choice on both sides
        #expect(result.alpn == "h2")
        #expect(result.ocspResponse == nil)
        #expect(result.extensionSCTs == 0)
        #expect(result.offeredVersions == ["1.2", "1.3"])
        #expect(result.localHost == "127.0.0.1" && result.localPort != 0)
        #expect(result.remoteHost == "127.0.0.1" && result.remotePort == server.port)
        let now = Date().timeIntervalSince1970
        #expect(result.started <= result.finished && result.finished <= now && now - result.started < 10)

        request.versions = .tls12
        let tls12 = try TLSProbe.run(request).get()
        #expect(tls12.chain == [pki.leaf, pki.intermediate, pki.root])
        #expect(tls12.protocolVersion == 0x0303)
        #expect([0xC02B, 0xC02C, 0xCCA9].contains(tls12.cipherSuite))  // ECDHE-ECDSA with AES-GCM or ChaCha20
        #expect(tls12.group == 29)
        #expect(tls12.alpn == "h2")
        #expect(tls12.offeredVersions == ["1.2"])

        // Offering only a protocol the server does not speak: its no_application_protocol alert.
        request.alpn = ["http/1.1"]
        let refused = try #require(failure(of: request))
        #expect(refused.kind == .handshakeFailed && refused.detail.contains("no application protocol"), "\(refused)")
        request.alpn = []
        #expect(try TLSProbe.run(request).get().alpn == nil)
    }

    @Test func ipv6WithoutServerName() throws {
        let pki = try ProbeServerPKI()
        let server = try pki.server(["-tls1_3"], ipv6: true)
        defer { server.stop() }
        var request = TLSProbeRequest(host: "::1", port: server.port, serverName: nil)
        request.timeoutSeconds = 5
        let result = try TLSProbe.run(request).get()
        #expect(result.chain == [pki.leaf, pki.intermediate, pki.root])
        #expect(result.protocolVersion == 0x0304)
        #expect(result.localHost == "::1" && result.remoteHost == "::1")
        #expect(result.alpn == nil)
    }

    @Test func tls12ProbeOfATLS13OnlyServerFailsInWords() throws {
        let pki = try ProbeServerPKI()
        let server = try pki.server(["-tls1_3"])
        defer { server.stop() }
        var request = TLSProbeRequest(host: "127.0.0.1", port: server.port, serverName: "probe.example")
        request.versions = .tls12
        request.timeoutSeconds = 5
        let error = try #require(failure(of: request))
        #expect(error.kind == .handshakeFailed)
        #expect(error.detail.contains("protocol version"), "\(error)")
        #expect(error.description.hasPrefix("handshake-failed: "))
    }

    @Test func stapledOCSPResponseIsReturnedAsSent() throws {
        let pki = try ProbeServerPKI()
        // An OCSPResponse with status unauthorized (6) and no body: the smallest one s_server loads.
        let response: [UInt8] = [0x30, 0x03, 0x0A, 0x01, 0x06]
        try Data(response).write(to: URL(fileURLWithPath: pki.kit.path("status.der")))
        let server = try pki.server(["-status_file", "status.der"])
        defer { server.stop() }
        for versions in [TLSProbeVersions.tls12, .tls13] {
            var request = TLSProbeRequest(host: "127.0.0.1", port: server.port, serverName: "probe.example")
            request.versions = versions
            request.timeoutSeconds = 5
            #expect(try TLSProbe.run(request).get().ocspResponse == response, "\(versions)")
        }
    }

    @Test func extensionSCTsAreCounted() throws {
        let pki = try ProbeServerPKI()
        // Two syntactically valid SCTs (never verified: permissive CT) in the signed_certificate_timestamp
        // extension: with the ServerHello in TLS 1.2 (SERVERINFO, v1), in the leaf's
        // CertificateEntry in TLS 1.3 (SERVERINFOV2 with the TLS 1.3 Certificate context).
        let sct: [UInt8] = [0] + [UInt8](repeating: 0xA5, count: 32) + [0, 0, 1, 0x80, 0, 0, 0, 0] + [0, 0]
            + [4, 3, 0, 8] + [UInt8](repeating: 0x5A, count: 8)
        let entry = bigEndian16(sct.count) + sct
        let list = bigEndian16(2 * entry.count) + entry + entry
        let fileExtension = bigEndian16(18) + bigEndian16(list.count) + list
        let v1 = Data(fileExtension).base64EncodedString()
        let v2 = Data([0, 0, 0x10, 0x80] + fileExtension).base64EncodedString()  // ClientHello | TLS 1.3 Certificate
        try "-----BEGIN SERVERINFO FOR sct-v1-----\n\(v1)\n-----END SERVERINFO FOR sct-v1-----\n"
            .write(toFile: pki.kit.path("sct-v1.pem"), atomically: true, encoding: .utf8)
        try "-----BEGIN SERVERINFOV2 FOR sct-v2-----\n\(v2)\n-----END SERVERINFOV2 FOR sct-v2-----\n"
            .write(toFile: pki.kit.path("sct-v2.pem"), atomically: true, encoding: .utf8)
        for (versions, file) in [(TLSProbeVersions.tls12, "sct-v1.pem"), (.tls13, "sct-v2.pem")] {
            let server = try pki.server(["-serverinfo", file])
            defer { server.stop() }
            var request = TLSProbeRequest(host: "127.0.0.1", port: server.port, serverName: "probe.example")
            request.versions = versions
            request.timeoutSeconds = 5
            let result = TLSProbe.run(request)
            #expect((try? result.get().extensionSCTs) == 2, "\(versions): \(result)")
        }
    }

    @Test func aCertificateListOverTheLimitIsTooLarge() throws {
        let pki = try ProbeServerPKI()
        let server = try pki.server([])
        defer { server.stop() }
        for versions in [TLSProbeVersions.tls12, .tls13] {
            var request = TLSProbeRequest(host: "127.0.0.1", port: server.port, serverName: "probe.example")
            request.versions = versions
            request.timeoutSeconds = 5
            request.maxHandshakeBytes = 600  // the three certificates take about 1.4 KB
            let error = try #require(failure(of: request))
            #expect(error.kind == .handshakeTooLarge, "\(versions): \(error)")
        }
    }

    @Test func aServerHelloOf16MBIsTooLarge() throws {
        let listener = try HostileListener("huge")
        defer { listener.stop() }
        var request = TLSProbeRequest(host: "127.0.0.1", port: listener.port, serverName: "probe.example")
        request.timeoutSeconds = 5
        let error = try #require(failure(of: request))
        #expect(error.kind == .handshakeTooLarge, "\(error)")
    }

    @Test func aListenerThatNeverAnswersTimesOutOnTime() throws {
        let listener = try HostileListener("silent")
        defer { listener.stop() }
        var request = TLSProbeRequest(host: "127.0.0.1", port: listener.port, serverName: "probe.example")
        request.timeoutSeconds = 1.5
        let started = Date()
        let error = try #require(failure(of: request))
        let elapsed = Date().timeIntervalSince(started)
        #expect(error.kind == .timeout, "\(error)")
        #expect(error.detail.contains("first bytes"), "\(error)")
        #expect(elapsed >= 1.4 && elapsed < 2.5, "\(elapsed) s")
    }

    @Test func nothingListeningIsRefused() throws {
        let listener = try HostileListener("silent", host: "::1")
        let port = listener.port
        listener.stop()
        var request = TLSProbeRequest(host: "::1", port: port, serverName: nil)
        request.timeoutSeconds = 5
        let error = try #require(failure(of: request))
        #expect(error.kind == .connectRefused, "\(error)")
        #expect(error.detail.contains("Connection refused"), "\(error)")
    }

    @Test(arguments: ["garbage", "http"])
    func aServerAnsweringSomethingElseFailsTheHandshake(mode: String) throws {
        let listener = try HostileListener(mode)
        defer { listener.stop() }
        var request = TLSProbeRequest(host: "127.0.0.1", port: listener.port, serverName: "probe.example")
        request.timeoutSeconds = 5
        let error = try #require(failure(of: request))
        #expect(error.kind == .handshakeFailed, "\(error)")
        #expect(error.detail.contains(": OpenSSL: "), "\(error)")
    }

    @Test func aResetMidHandshakeIsAClosedConnection() throws {
        let listener = try HostileListener("reset")
        defer { listener.stop() }
        var request = TLSProbeRequest(host: "127.0.0.1", port: listener.port, serverName: "probe.example")
        request.timeoutSeconds = 5
        let error = try #require(failure(of: request))
        #expect(error.kind == .closed, "\(error)")
    }

    @Test func invalidRequestsAreRefusedBeforeConnecting() {
        let cases: [(TLSProbeRequest) -> TLSProbeRequest] = [
            { $0 },
            { var r = $0; r.host = "[::1]"; return r },
            { var r = $0; r.host = "127.0.0.1\u{0}"; return r },
            { var r = $0; r.sourceAddress = "::1"; return r },
            { var r = $0; r.timeoutSeconds = .nan; return r },
            { var r = $0; r.timeoutSeconds = 0; return r },
            { var r = $0; r.maxHandshakeBytes = 0; return r },
            { var r = $0; r.serverName = ""; return r },
            { var r = $0; r.serverName = String(repeating: "a", count: 256); return r },
            { var r = $0; r.alpn = [""]; return r },
        ]
        let base = TLSProbeRequest(host: "probe.example", port: 443, serverName: "probe.example")
        for (index, make) in cases.enumerated() {
            var request = make(base)
            if index > 0, request.host == "probe.example" { request.host = "127.0.0.1" }
            #expect(failure(of: request)?.kind == .invalidRequest, "case \(index)")
        }
    }

    private func failure(of request: TLSProbeRequest) -> TLSProbeError? {
        if case .failure(let error) = TLSProbe.run(request) { return error }
        return nil
    }

    private func bigEndian16(_ value: Int) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
}

/// A leaf for probe.example under an intermediate under a root (EC P-256 keys, made per test), and
/// `openssl s_server` serving it with the intermediate and the root.
struct ProbeServerPKI {
    let kit: OpenSSLKit
    let leaf: [UInt8], intermediate: [UInt8], root: [UInt8]

    init() throws {
        kit = try OpenSSLKit()
        for name in ["root", "ca", "leaf"] {
            try kit.run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name + ".key"])
        }
        try kit.root("root", key: "root", subject: "/CN=Probe Test Root")
        try kit.issue("ca", key: "ca", subject: "/CN=Probe Test Intermediate", issuer: "root", issuerKey: "root",
                      extensions: ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign"])
        try kit.issue("leaf", key: "leaf", subject: "/CN=probe.example", issuer: "ca", issuerKey: "ca",
                      extensions: ["subjectAltName=DNS:probe.example", "extendedKeyUsage=serverAuth"])
        leaf = try kit.der("leaf")
        intermediate = try kit.der("ca")
        root = try kit.der("root")
        let chain = try String(contentsOfFile: kit.path("ca.pem"), encoding: .utf8)
            + String(contentsOfFile: kit.path("root.pem"), encoding: .utf8)
        try chain.write(toFile: kit.path("chain.pem"), atomically: true, encoding: .utf8)
    }

    func server(_ arguments: [String], ipv6: Bool = false) throws -> ListeningProcess {
        try ListeningProcess("/usr/bin/openssl", [
            "s_server", "-accept", ipv6 ? "[::1]:0" : "127.0.0.1:0",
            "-cert", "leaf.pem", "-key", "leaf.key", "-cert_chain", "chain.pem",
        ] + arguments, in: kit.directory, readyPrefix: "ACCEPT ")
    }
}

/// A python3 listener on loopback: `silent` accepts and never answers; after reading the
/// ClientHello, `garbage` answers fixed pseudo-random bytes, `http` an HTTP response, `huge` a ServerHello
/// of 16 MiB, `reset` a TCP reset.
final class HostileListener {
    private let process: ListeningProcess
    var port: UInt16 { process.port }

    init(_ mode: String, host: String = "127.0.0.1") throws {
        let script = """
            import random, socket, struct, sys
            mode, host = sys.argv[1], sys.argv[2]
            server = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
            server.bind((host, 0))
            server.listen(8)
            print("PORT", server.getsockname()[1], flush=True)
            held = []
            while True:
                connection, _ = server.accept()
                held.append(connection)
                if mode == "silent":
                    continue
                connection.recv(65536)
                if mode == "garbage":
                    noise = random.Random(13)
                    connection.sendall(bytes([0]) + bytes(noise.randrange(256) for _ in range(4095)))
                elif mode == "http":
                    connection.sendall(b"HTTP/1.1 400 Bad Request\\r\\nContent-Length: 0\\r\\n\\r\\n")
                elif mode == "huge":
                    record = bytes([0x16, 3, 3, 0x40, 0])
                    try:
                        connection.sendall(record + bytes([2, 0xFF, 0xFF, 0xFF]) + bytes(0x4000 - 4))
                        for _ in range(1024):
                            connection.sendall(record + bytes(0x4000))
                    except OSError:
                        pass
                elif mode == "reset":
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    connection.close()
            """
        process = try ListeningProcess("/usr/bin/python3", ["-c", script, mode, host], readyPrefix: "PORT ")
    }

    func stop() { process.stop() }
}
