import Foundation
import Testing
import TestSupport

/// `mitmwatch probe` against servers built to hurt a TLS client (TestSupport's HostileTLSServer):
/// exit 1, the reason in words, within its time, and a bounded peak memory (GNU time's maximum
/// resident set size of the mitmwatch process).
@Suite struct ProbeHostileCommandTests {
    struct Measured {
        var status: Int32
        var stdout: String
        var seconds: Double
        /// Peak resident set size in KiB.
        var maxRSS: Int
    }

    /// `mitmwatch ARGUMENTS` under /usr/bin/time, which reports the peak RSS on a line of its own.
    static func measured(_ arguments: [String]) throws -> Measured {
        let started = Date()
        let result = try ReadCommandTests.run(executable: "/usr/bin/time",
                                              ["-f", "MAXRSS %M", ReadCommandTests.binary] + arguments)
        let seconds = Date().timeIntervalSince(started)
        let rss = result.stderr.split(separator: "\n").last { $0.hasPrefix("MAXRSS ") }.flatMap { Int($0.dropFirst(7)) }
        return Measured(status: result.status, stdout: result.stdout, seconds: seconds, maxRSS: rss ?? Int.max)
    }

    /// A clean, tiny-chain probe's peak RSS: the baseline the hostile ones are held to.
    static func baselineRSS() throws -> Int {
        let pki = try ProbeServerKit()
        let server = try SpawnedTool("/usr/bin/openssl", ["s_server", "-accept", "127.0.0.1:0", "-cert", pki.kit.path("self.pem"),
                                                          "-key", pki.kit.path("self.key")])
        defer { server.stop() }
        let port = try #require(server.port(afterPrefix: "ACCEPT "))
        let clean = try measured(["probe", "--tls", "1.2", "--timeout", "5", "127.0.0.1:\(port)"])
        #expect(clean.status == 0, "\(clean.stdout)")  // self-signed, no SNI: the untrusted-chain scope (public names) leaves it
        return clean.maxRSS
    }

    /// A self-signed EC certificate, as PEM and DER.
    struct ProbeServerKit {
        let kit: OpenSSLKit
        init() throws {
            kit = try OpenSSLKit()
            // digitalSignature: s_server signs TLS 1.2's key exchange only with a key allowed to.
            try kit.run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "self.key",
                         "-subj", "/CN=probe.example", "-days", "30", "-addext", "keyUsage=critical,digitalSignature",
                         "-out", "self.pem"])
            _ = try kit.der("self")
        }
    }

    @Test func hostileServersExit1InWordsWithinTimeAndMemory() throws {
        let baseline = try Self.baselineRSS()
        let pki = try ProbeServerKit()
        // 10 000 certificates in one TLS 1.2 Certificate message (about 3.7 MB), and 64 MiB of
        // handshake records that never complete a handshake: both over the probe's bounds.
        let cases: [(server: HostileTLSServer, words: String)] = [
            (try HostileTLSServer("certificates", arguments: [pki.kit.path("self.der"), "10000"]),
             "handshake-too-large: handshake with 127.0.0.1:"),
            (try HostileTLSServer("hello-requests"), "bytes without a complete handshake (limit 589824)"),  // 2 × 256 KiB + 64 KiB
            (try HostileTLSServer("ssh"), "handshake-failed: handshake with 127.0.0.1:"),
        ]
        defer { for entry in cases { entry.server.stop() } }
        for (server, words) in cases {
            let run = try Self.measured(["probe", "--tls", "1.2", "--timeout", "5", "127.0.0.1:\(server.port)"])
            #expect(run.status == 1, "\(run.stdout)")
            #expect(run.stdout.hasPrefix("probe 127.0.0.1:\(server.port) could not complete: "), "\(run.stdout)")
            #expect(run.stdout.contains(words), "\(run.stdout)")
            #expect(run.seconds < 4, "\(words): \(run.seconds) s")
            // What is read is bounded by 576 KiB; allow libssl's buffers and its parsed copies.
            #expect(run.maxRSS < baseline + 24 * 1024, "\(words): peak RSS \(run.maxRSS) KiB, a clean probe \(baseline) KiB")
        }

        // JSON: the failure record names the error kind.
        let ssh = cases[2].server
        let json = try ReadCommandTests.run(["probe", "--format", "json", "--timeout", "5", "127.0.0.1:\(ssh.port)"])
        #expect(json.status == 1)
        let record = try #require(try Probe.json(json).first)
        #expect((record["error"] as? [String: Any])?["type"] as? String == "handshake-failed")
        #expect(((record["error"] as? [String: Any])?["message"] as? String)?.contains("wrong version number") == true, "\(record)")
        #expect(json.stderr.contains("could not complete"))
    }

    /// A name that does not resolve (.invalid never does, RFC 6761) is said in words; the targets
    /// after it are still probed, and their alert decides the exit status.
    @Test func anUnresolvableNameIsSaidAndTheOtherTargetsAreStillProbed() throws {
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let port = Probe.port()
        let server = try Probe.Server(kit, port: port, cert: "leaf.pem", key: "leaf.key", chain: "intermediate.pem")
        defer { FollowUpDaemonTests.stopServer(server) }
        let started = Date()
        let result = try ReadCommandTests.run(["probe", "--format", "json", "--timeout", "5", "mitmwatch-test.invalid",
                                               "--sni", "www.facebook.example", "127.0.0.1:\(port)"])
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(result.status == 3, "\(result.stdout) \(result.stderr)")
        let records = try Probe.json(result)
        let failure = try #require(records.first)
        #expect((failure["error"] as? [String: Any])?["type"] as? String == "resolve-failed", "\(failure)")
        #expect(((failure["error"] as? [String: Any])?["message"] as? String)?.hasPrefix("cannot resolve mitmwatch-test.invalid: ")
            == true)
        #expect(((Probe.mitmwatch(failure)["probe"] as? [String: Any])?["target"] as? String) == "mitmwatch-test.invalid:443")
        #expect(result.stderr.contains("probe mitmwatch-test.invalid:443 could not complete: resolve-failed"))
        #expect(Probe.alerts(records).contains { ($0["rule"] as? [String: Any])?["id"] as? String == "known-interception-ca" })

        // Alone, it is exit 1.
        let alone = try ReadCommandTests.run(["probe", "mitmwatch-test.invalid:8443"])
        #expect(alone.status == 1)
        #expect(alone.stdout.hasPrefix("probe mitmwatch-test.invalid:8443 could not complete: resolve-failed: "), "\(alone.stdout)")
    }

    typealias Probe = ProbeCommandTests
}
