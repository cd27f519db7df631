import Foundation
import Testing
import TestSupport

/// `mitmwatch probe` against GnuTLS's server (`gnutls-serv`, a TLS stack other than the probe's
/// own OpenSSL) speaking TLS 1.3 only: a Kazakhstan-style chain, a clean chain under a local root,
/// a self-signed certificate — and what was negotiated, as GnuTLS chose it.
@Suite(.serialized) struct ProbeGnuTLSTests {
    typealias CLI = ReadCommandTests
    typealias Probe = ProbeCommandTests

    /// `gnutls-serv` on a free port (it listens on every address, IPv4 and IPv6), waited for until
    /// it says it listens; stopped by its PID.
    final class Server {
        let tool: SpawnedTool
        let port: Int

        /// `priority` is GnuTLS's priority string; TLS 1.3 only unless told otherwise.
        init(_ kit: OpenSSLKit, chain: String, key: String, priority: String = "NORMAL:-VERS-ALL:+VERS-TLS1.3",
             extra: [String] = []) throws {
            var said = ""
            for _ in 0..<5 {
                let port = Int.random(in: 25_000...25_999)
                let tool = try SpawnedTool("/usr/bin/gnutls-serv", [
                    "--port", String(port), "--x509certfile", kit.path(chain), "--x509keyfile", kit.path(key),
                    "--priority", priority,
                ] + extra)
                if tool.waitFor("port \(port)...done") {
                    self.tool = tool
                    self.port = port
                    return
                }
                said = tool.output.value  // the port was taken (bind failed), or it never said it listens
                tool.stop()
            }
            throw NSError(domain: "gnutls-serv", code: 1, userInfo: [NSLocalizedDescriptionKey: "did not start: \(said)"])
        }

        func stop() { tool.stop() }
    }

    /// The Kazakhstan 2019 shape with the Qaznet root's own name and key id: a leaf for
    /// www.facebook.example (RSA exponent 3) under "Security Certificate", whose authority key id
    /// is the real Qaznet Trust Network root's subject key id. Served leaf and intermediate, the
    /// root not sent, as `served.pem`.
    static func qaznetChain(_ kit: OpenSSLKit) throws {
        try kit.key("root")
        try kit.run(["req", "-x509", "-new", "-key", "root.key", "-subj", "/C=KZ/CN=Qaznet Trust Network", "-days", "3650",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                     "-addext", "subjectKeyIdentifier=" + qaznetKeyID, "-out", "root.pem"])
        try kit.key("intermediate")
        try kit.issue("intermediate", key: "intermediate", subject: "/C=KZ/CN=Security Certificate", issuer: "root",
                      issuerKey: "root", extensions: ["basicConstraints=critical,CA:TRUE", "authorityKeyIdentifier=keyid",
                                                      "subjectKeyIdentifier=hash"])
        try kit.key("leaf", exponent: 3)
        try kit.issue("leaf", key: "leaf", subject: "/CN=www.facebook.example", issuer: "intermediate",
                      issuerKey: "intermediate", extensions: ["subjectAltName=DNS:www.facebook.example"])
        try (String(contentsOfFile: kit.path("leaf.pem"), encoding: .utf8)
            + String(contentsOfFile: kit.path("intermediate.pem"), encoding: .utf8))
            .write(toFile: kit.path("served.pem"), atomically: true, encoding: .utf8)
    }

    /// The subject key id of the real Qaznet Trust Network root (data/indicators).
    static let qaznetKeyID = "f4:94:bf:de:50:b6:db:6b:24:3d:9e:f7:be:3a:ae:36:d7:fb:0e:05"

    static func session(_ records: [[String: Any]]) -> [String: Any]? {
        records.first { ($0["event"] as? [String: Any])?["kind"] as? String == "event" }
    }

    static func rule(_ alert: [String: Any]) -> String? { (alert["rule"] as? [String: Any])?["id"] as? String }

    @Test func kazakhstanStyleChainOverTLS13RaisesKnownInterceptionCAAndExits3() throws {
        let kit = try OpenSSLKit()
        try Self.qaznetChain(kit)
        // GnuTLS's choices, not libssl's defaults: AES-256-GCM, secp384r1 (after a retry: the
        // probe sends an x25519 key share first), ALPN http/1.1.
        let server = try Server(kit, chain: "served.pem", key: "leaf.key",
                                priority: "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-256-GCM:-GROUP-ALL:+GROUP-SECP384R1",
                                extra: ["--alpn", "http/1.1"])
        defer { server.stop() }
        let started = Date()
        let result = try CLI.run(["probe", "--format", "json", "--sni", "www.facebook.example", "--timeout", "5",
                                  "127.0.0.1:\(server.port)"])
        #expect(Date().timeIntervalSince(started) < 8)
        #expect(result.status == 3, "\(result.stdout) \(result.stderr)")
        let records = try Probe.json(result)
        let session = try #require(Self.session(records))
        let tls = session["tls"] as? [String: Any]
        #expect(tls?["version"] as? String == "1.3")
        #expect(tls?["version_protocol"] as? String == "tls")
        #expect(tls?["next_protocol"] as? String == "http/1.1", "\(tls ?? [:])")
        #expect((tls?["client"] as? [String: Any])?["server_name"] as? String == "www.facebook.example")
        let negotiated = (Probe.mitmwatch(session)["tls"] as? [String: Any]) ?? [:]
        #expect(negotiated["version_name"] as? String == "TLSv13", "\(negotiated)")
        #expect(negotiated["cipher_suite"] as? String == "0x1302", "\(negotiated)")  // TLS_AES_256_GCM_SHA384
        #expect(negotiated["key_share_group"] as? String == "0x0018", "\(negotiated)")  // secp384r1
        let probe = Probe.mitmwatch(session)["probe"] as? [String: Any]
        #expect(probe?["trigger"] as? String == "cli")
        #expect(probe?["offered_versions"] as? [String] == ["1.2", "1.3"])
        let chain = Probe.mitmwatch(session)["chain"] as? [String: Any]
        #expect(chain?["length"] as? Int == 2)  // leaf and intermediate: the root is not sent
        #expect((chain?["sha256"] as? [String]) == [try kit.der("leaf").sha256Hex, try kit.der("intermediate").sha256Hex])

        let alerts = Probe.alerts(records)
        let kz = alerts.filter { Self.rule($0) == "known-interception-ca" }
        let matches = kz.compactMap { Probe.mitmwatch($0)["match"] as? [String: Any] }
        // The leaf by its issuer's name ("Security Certificate", the 2019 intermediate), and the
        // intermediate by the Qaznet root's name and key id — its signature not the real root's.
        #expect(matches.contains { $0["position"] as? Int == 0 && $0["type"] as? String == "issuer_name" }, "\(matches)")
        let byKeyID = try #require(kz.first { (Probe.mitmwatch($0)["match"] as? [String: Any])?["type"] as? String == "issuer_key_id" },
                                   "alerts: \(alerts.map { Self.rule($0) ?? "?" }), matches: \(matches)")
        #expect((Probe.mitmwatch(byKeyID)["match"] as? [String: Any])?["position"] as? Int == 1)
        #expect((Probe.mitmwatch(byKeyID)["match"] as? [String: Any])?["signature_verified"] as? Bool == false)
        #expect((byKeyID["message"] as? String)?.contains("issued by Qaznet Trust Network") == true, "\(byKeyID["message"] ?? "")")
        let kzAlert = try #require(kz.first)
        #expect(Probe.mitmwatch(kzAlert)["observation"] as? String == "probe")
        #expect((kzAlert["tls"] as? [String: Any])?["version"] as? String == "1.3")
        #expect((kzAlert["message"] as? String)?.hasPrefix("A probe through this gateway was shown the chain: ") == true)
    }

    @Test func cleanChainUnderALocalRootGivesExit0AndNoAlert() throws {
        let kit = try OpenSSLKit()
        try kit.key("root")
        try kit.root("root", key: "root", subject: "/CN=mitmwatch gnutls test root")
        try kit.key("leaf")
        try kit.issue("leaf", key: "leaf", subject: "/CN=clean.example", issuer: "root", issuerKey: "root",
                      extensions: ["subjectAltName=DNS:clean.example", "extendedKeyUsage=serverAuth"])
        let server = try Server(kit, chain: "leaf.pem", key: "leaf.key")
        defer { server.stop() }
        for target in ["127.0.0.1:\(server.port)", "[::1]:\(server.port)"] {
            let result = try CLI.run(["probe", "--format", "json", "--tls", "1.3", "--sni", "clean.example",
                                      "--trust-store", kit.path("root.pem"), "--untrusted-scope", "all", "--no-missing-sct",
                                      "--timeout", "5", target])
            #expect(result.status == 0, "\(target): \(result.stdout) \(result.stderr)")
            let records = try Probe.json(result)
            #expect(records.count == 1, "\(target): \(records)")
            #expect(Probe.alerts(records).isEmpty)
            let session = try #require(Self.session(records))
            #expect((session["tls"] as? [String: Any])?["version"] as? String == "1.3")
            #expect((Probe.mitmwatch(session)["probe"] as? [String: Any])?["offered_versions"] as? [String] == ["1.3"])
            #expect((Probe.mitmwatch(session)["chain"] as? [String: Any])?["length"] as? Int == 1)
        }
    }

    @Test func selfSignedIsAnUntrustedChain() throws {
        let kit = try OpenSSLKit()
        // GnuTLS signs only with a key its certificate's key usage allows: digitalSignature.
        try kit.run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "self.key",
                     "-subj", "/CN=self.example", "-days", "30", "-addext", "subjectAltName=DNS:self.example",
                     "-addext", "keyUsage=critical,digitalSignature", "-out", "self.pem"])
        let server = try Server(kit, chain: "self.pem", key: "self.key")
        defer { server.stop() }
        let result = try CLI.run(["probe", "--format", "json", "--sni", "self.example", "--untrusted-scope", "all",
                                  "--trust-store", "/etc/ssl/certs/ca-certificates.crt", "--timeout", "5",
                                  "127.0.0.1:\(server.port)"])
        #expect(result.status == 3, "\(result.stdout) \(result.stderr)")
        let records = try Probe.json(result)
        #expect((Self.session(records)?["tls"] as? [String: Any])?["version"] as? String == "1.3")
        let untrusted = try #require(Probe.alerts(records).first { Self.rule($0) == "untrusted-chain" })
        #expect(Probe.mitmwatch(untrusted)["reasons"] as? [String] != nil, "\(untrusted)")
        #expect(!Probe.alerts(records).contains { Self.rule($0) == "known-interception-ca" })
    }
}
