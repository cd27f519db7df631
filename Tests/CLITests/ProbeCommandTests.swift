import Foundation
import Testing
import TestSupport

/// `mitmwatch probe` against real TLS servers on loopback (OpenSSL's s_server): the chain a
/// TLS 1.3 server shows — invisible to passive capture — judged by the same rules.
@Suite(.serialized) struct ProbeCommandTests {
    typealias CLI = ReadCommandTests

    /// `openssl s_server` on `host`:`port` serving `connections` handshakes, started and waited for
    /// (it prints ACCEPT once it listens), stopped by its PID.
    final class Server {
        let process = Process()
        private let output = Pipe()

        init(_ kit: OpenSSLKit, host: String = "127.0.0.1", port: Int, cert: String, key: String,
             chain: String? = nil, versions: [String] = ["-tls1_3"], connections: Int = 1) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            process.arguments = ["s_server", "-accept", address, "-naccept", String(connections), "-cert", kit.path(cert),
                                 "-key", kit.path(key)] + (chain.map { ["-cert_chain", kit.path($0)] } ?? []) + versions
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            process.standardInput = Pipe()
            try process.run()
            let deadline = Date().addingTimeInterval(10)
            var seen = Data()
            while Date() < deadline, !String(decoding: seen, as: UTF8.self).contains("ACCEPT") {
                seen.append(output.fileHandleForReading.availableData)
            }
        }

        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }  // SIGTERM may be inherited ignored
            process.waitUntilExit()
        }
    }

    static func port() -> Int { Int.random(in: 22_000...22_999) }

    static func json(_ result: ReadCommandTests.Result) throws -> [[String: Any]] { try CLI.records(result) }

    static func alerts(_ records: [[String: Any]]) -> [[String: Any]] {
        records.filter { ($0["event"] as? [String: Any])?["kind"] as? String == "alert" }
    }

    static func mitmwatch(_ record: [String: Any]) -> [String: Any] { record["mitmwatch"] as? [String: Any] ?? [:] }

    @Test func tls13KazakhstanStyleInterceptionRaisesKnownInterceptionCAAndExits3() throws {
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let port = Self.port()
        let server = try Server(kit, port: port, cert: "leaf.pem", key: "leaf.key", chain: "intermediate.pem")
        defer { server.stop() }
        let started = Date()
        let result = try CLI.run(["probe", "--format", "json", "--sni", "www.facebook.example", "--timeout", "5",
                                  "127.0.0.1:\(port)"])
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(result.status == 3, "\(result.stderr)")
        let records = try Self.json(result)
        let session = try #require(records.first { ($0["event"] as? [String: Any])?["kind"] as? String == "event" })
        #expect((session["tls"] as? [String: Any])?["version"] as? String == "1.3")
        #expect(Self.mitmwatch(session)["observation"] as? String == "probe")
        let probe = Self.mitmwatch(session)["probe"] as? [String: Any]
        #expect(probe?["trigger"] as? String == "cli")
        #expect(probe?["offered_versions"] as? [String] == ["1.2", "1.3"])
        let chain = Self.mitmwatch(session)["chain"] as? [String: Any]
        #expect(chain?["length"] as? Int == 2)  // leaf and intermediate, the root not sent
        #expect((chain?["sha256"] as? [String])?.first == (try kit.der("leaf")).sha256Hex)
        let alerts = Self.alerts(records)
        let kz = alerts.first { ($0["rule"] as? [String: Any])?["id"] as? String == "known-interception-ca" }
        #expect(kz != nil, "alerts: \(alerts.map { ($0["rule"] as? [String: Any])?["id"] ?? "?" })")
        #expect(Self.mitmwatch(kz ?? [:])["observation"] as? String == "probe")
        #expect((kz?["message"] as? String)?.hasPrefix("A probe through this gateway was shown the chain: ") == true)
    }

    @Test func cleanTLS13ServerGivesExit0AndNoAlert() throws {
        let kit = try OpenSSLKit()
        try kit.key("root")
        try kit.root("root", key: "root", subject: "/CN=mitmwatch test root")
        try kit.key("leaf")
        try kit.issue("leaf", key: "leaf", subject: "/CN=clean.example", issuer: "root", issuerKey: "root",
                      extensions: ["subjectAltName=DNS:clean.example", "extendedKeyUsage=serverAuth"])
        let port = Self.port()
        let server = try Server(kit, port: port, cert: "leaf.pem", key: "leaf.key")
        defer { server.stop() }
        // Judged against the local root for every name; missing-sct off: a local root issues no SCTs.
        let result = try CLI.run(["probe", "--format", "json", "--tls", "1.3", "--sni", "clean.example",
                                  "--trust-store", kit.path("root.pem"), "--untrusted-scope", "all", "--no-missing-sct",
                                  "127.0.0.1:\(port)"])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        let records = try Self.json(result)
        #expect(records.count == 1)
        #expect(Self.alerts(records).isEmpty)
        #expect((Self.mitmwatch(records[0])["probe"] as? [String: Any])?["offered_versions"] as? [String] == ["1.3"])
    }

    @Test func selfSignedServerIsUntrustedOverIPv6() throws {
        let kit = try OpenSSLKit()
        try kit.key("self")
        try kit.root("self", key: "self", subject: "/CN=self.example")
        let port = Self.port()
        let server = try Server(kit, host: "::1", port: port, cert: "self.pem", key: "self.key")
        defer { server.stop() }
        let result = try CLI.run(["probe", "--format", "json", "--sni", "self.example", "--untrusted-scope", "all",
                                  "--trust-store", "/etc/ssl/certs/ca-certificates.crt", "[::1]:\(port)"])
        #expect(result.status == 3)
        let records = try Self.json(result)
        #expect((records.first?["destination"] as? [String: Any])?["ip"] as? String == "::1")
        #expect(Self.alerts(records).contains { ($0["rule"] as? [String: Any])?["id"] as? String == "untrusted-chain" })
    }

    @Test func unreachableTargetsExit1AndSaySoInWords() throws {
        let port = Self.port()  // nothing listens there
        let refused = try CLI.run(["probe", "--format", "json", "--timeout", "3", "127.0.0.1:\(port)"])
        #expect(refused.status == 1)
        let record = try #require(try Self.json(refused).first)
        #expect((record["event"] as? [String: Any])?["outcome"] as? String == "failure")
        #expect((record["error"] as? [String: Any])?["type"] as? String == "connection-refused")
        #expect(refused.stderr.contains("could not complete"))

        // A listener that accepts and never answers: the probe gives up at its timeout.
        let silent = Process()
        silent.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        let silentPort = Self.port()
        silent.arguments = ["-c", "import socket,time\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
            + "s.bind(('127.0.0.1',\(silentPort)));s.listen(4);print('ready',flush=True)\nc,_=s.accept();time.sleep(30)"]
        let ready = Pipe()
        silent.standardOutput = ready
        try silent.run()
        defer { kill(silent.processIdentifier, SIGKILL); silent.waitUntilExit() }  // it may inherit an ignored SIGTERM
        _ = ready.fileHandleForReading.availableData
        let started = Date()
        let timedOut = try CLI.run(["probe", "--timeout", "2", "127.0.0.1:\(silentPort)"])
        #expect(Date().timeIntervalSince(started) < 6)
        #expect(timedOut.status == 1)
        #expect(timedOut.stdout.contains("timeout"))
    }

    @Test func tls12OnlyAgainstATLS13OnlyServerIsAHandshakeFailure() throws {
        let kit = try OpenSSLKit()
        try kit.key("self")
        try kit.root("self", key: "self", subject: "/CN=self.example")
        let port = Self.port()
        let server = try Server(kit, port: port, cert: "self.pem", key: "self.key", versions: ["-tls1_3"])
        defer { server.stop() }
        let result = try CLI.run(["probe", "--tls", "1.2", "--timeout", "5", "127.0.0.1:\(port)"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("handshake-failed"))
    }

    @Test(arguments: [["probe", "[::1"], ["probe", "127.0.0.1:0"], ["probe", "::1"], ["probe", "--timeout", "0", "a.example"],
                      ["probe", "--tls", "1.1", "a.example"], ["probe"], ["probe", "--sni", "", "a.example"],
                      ["probe", "--max-hops", "0", "a.example"], ["probe", "--max-hops", "65", "a.example"]])
    func usageErrorsExit64(arguments: [String]) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 64, "\(arguments): \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}

extension Array where Element == UInt8 {
    /// SHA-256 as lower-case hex (through openssl, as the test's independent check).
    var sha256Hex: String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["dgst", "-sha256", "-r"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try? process.run()
        input.fileHandleForWriting.write(Data(self))
        try? input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return String(text.prefix(64))
    }
}
