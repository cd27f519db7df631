@testable import Daemon
import Foundation
import TestSupport
import Testing

/// `metrics.listen`: GET /metrics only, bounded requests, errors naming the key; and a real
/// Prometheus (Debian's) scraping the daemon: `up` is 1 and `mitmwatch_packets_total` > 0
/// through its HTTP API. Every process is stopped by its PID, every wait is bounded.
@Suite(.serialized) struct MetricsListenerTests {
    /// HTTP requests by python3, raw (what a scraper or a stray client sends); prints the status
    /// line of each answer, or "none".
    static let client = #"""
    import socket, sys, time
    port = int(sys.argv[1])
    def ask(raw, pause=0):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        try:
            if pause: time.sleep(pause)
            s.sendall(raw)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk: break
                data += chunk
            return data
        except OSError:
            return b""
        finally:
            s.close()
    answers = [
        ask(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
        ask(b"GET / HTTP/1.1\r\n\r\n"),
        ask(b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
        ask(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 10000 + b"\r\n\r\n"),
        ask(b"\x16\x03\x01\x00\x05hello"),
        ask(b"GET /metrics HTTP/1.1\r\n"),  # never finishes its head: the listener's read times out
        ask(b"GET /metrics?name[]=x HTTP/1.0\r\n\r\n"),
    ]
    for answer in answers:
        print(answer.split(b"\r\n", 1)[0].decode("latin-1") or "none")
    print("BODY-HAS-PACKETS", b"mitmwatch_packets_total" in answers[0])
    """#

    static func config(_ kit: OpenSSLKit, port: Int) throws -> String {
        let config = kit.path("config.json")
        try (#"{"interfaces": ["lo"], "journal": false, "json_log": {"path": "\#(kit.path("alerts.json"))"}, "#
            + #""state": {"enabled": false}, "metrics": {"listen": "127.0.0.1:\#(port)"}}"#)
            .write(toFile: config, atomically: true, encoding: .utf8)
        return config
    }

    @Test func onlyGetMetricsIsServedAndRequestsAreBounded() throws {
        let kit = try OpenSSLKit()
        let port = Int.random(in: 29_000...29_499)
        let daemon = try LiveDaemonTests.Running(["run", "--config", try Self.config(kit, port: port)])
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))
        usleep(1_200_000)  // the first exposition is published within a second
        let started = Date()
        let output = try ToolProcess.run("/usr/bin/timeout", ["30", "/usr/bin/python3", "-c", Self.client, String(port)],
                                         in: kit.directory)
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.count == 8, "\(output)")
        #expect(lines.first == "HTTP/1.1 200 OK")
        #expect(lines[1].hasPrefix("HTTP/1.1 404"), "\(output)")
        #expect(lines[2].hasPrefix("HTTP/1.1 405"), "\(output)")
        #expect(lines[3].hasPrefix("HTTP/1.1 431"), "\(output)")
        #expect(lines[4].hasPrefix("HTTP/1.1 431") || lines[4].hasPrefix("HTTP/1.1 400"), "\(output)")
        #expect(lines[5].hasPrefix("HTTP/1.1 431"), "\(output)")  // answered after the read timed out
        #expect(lines[6] == "HTTP/1.1 200 OK")
        #expect(lines.last == "BODY-HAS-PACKETS True")
        #expect(Date().timeIntervalSince(started) < 15)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
    }

    @Test(arguments: [("localhost:9187", "key 'metrics.listen': \"localhost:9187\" is not ADDRESS:PORT"),
                      ("127.0.0.1", "key 'metrics.listen': \"127.0.0.1\" is not ADDRESS:PORT"),
                      ("::1:9187", "key 'metrics.listen': \"::1:9187\" is not ADDRESS:PORT"),
                      ("127.0.0.1:0", "key 'metrics.listen': \"127.0.0.1:0\" is not ADDRESS:PORT")])
    func badAddressesNameTheKey(value: String, expected: String) {
        do {
            _ = try ConfigLimitsTests.decode(#"{"metrics": {"listen": "\#(value)"}}"#)
            Issue.record("accepted \(value)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func aPortInUseIsOneClearError() throws {
        let kit = try OpenSSLKit()
        let port = Int.random(in: 29_500...29_999)
        let first = try LiveDaemonTests.Running(["run", "--config", try Self.config(kit, port: port)])
        defer { if first.process.isRunning { first.process.terminate() } }
        #expect(first.waitForStderr("mitmwatch started on lo"))
        let second = try LiveDaemonTests.Running(["run", "--config", try Self.config(kit, port: port)])
        defer { if second.process.isRunning { second.process.terminate() } }
        #expect(second.waitForExit() != 0)
        #expect(second.collected.value.contains("metrics.listen 127.0.0.1:\(port): cannot listen: Address already in use"),
                "\(second.collected.value)")
        first.signal(SIGTERM)
        #expect(first.waitForExit() == 0)
    }

    @Test func prometheusScrapesTheDaemon() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prometheus") else {
            Issue.record("prometheus is not installed (scripts/setup.sh installs it)")
            return
        }
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let port = Int.random(in: 28_000...28_499), prometheusPort = Int.random(in: 28_500...28_999)
        let daemon = try LiveDaemonTests.Running(["run", "--config", try Self.config(kit, port: port)])
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        #expect(daemon.waitForStderr("mitmwatch started on lo"))
        try """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: mitmwatch
                static_configs: [{targets: ["127.0.0.1:\(port)"]}]
            """.write(toFile: kit.path("prometheus.yml"), atomically: true, encoding: .utf8)
        let prometheus = Process()
        prometheus.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        prometheus.arguments = ["--config.file=\(kit.path("prometheus.yml"))", "--storage.tsdb.path=\(kit.path("tsdb"))",
                                "--web.listen-address=127.0.0.1:\(prometheusPort)"]
        prometheus.standardOutput = FileHandle.nullDevice
        prometheus.standardError = FileHandle.nullDevice
        try prometheus.run()
        defer {
            if prometheus.isRunning { kill(prometheus.processIdentifier, SIGKILL) }
            prometheus.waitUntilExit()
        }
        try LiveDaemonTests.handshake(kit, port: Int.random(in: 27_950...27_999))

        func query(_ expression: String) -> Double? {
            let url = "http://127.0.0.1:\(prometheusPort)/api/v1/query?query=\(expression)"
            guard let text = try? ToolProcess.run("/usr/bin/python3", ["-c", """
                import json, sys, urllib.request
                data = json.load(urllib.request.urlopen(sys.argv[1], timeout=2))
                result = data["data"]["result"]
                print(result[0]["value"][1] if result else "")
                """, url], in: kit.directory) else { return nil }
            return Double(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        var up: Double?, packets: Double?
        let scraped = FollowUpDaemonTests.waitFor(40) {
            up = query("up%7Bjob%3D%22mitmwatch%22%7D")
            packets = query("mitmwatch_packets_total")
            return up == 1 && (packets ?? 0) > 0
        }
        #expect(scraped, "up \(String(describing: up)), mitmwatch_packets_total \(String(describing: packets))")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
    }
}
