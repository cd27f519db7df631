import Foundation
import TestSupport
import Testing

/// Evidence bundles (`read --evidence`, the daemon's `evidence.*`): every alert names a folder
/// whose `handshake.pcap`, read again, raises the same alert; the directory stays within its cap
/// under a flood of alerts.
@Suite struct EvidenceBundleTests {
    /// What makes two alerts the same alert: the rule, the leaf, the name, the severity.
    static func key(_ alert: [String: Any]) -> String {
        let rule = (alert["rule"] as? [String: Any])?["id"] as? String ?? "?"
        let tls = alert["tls"] as? [String: Any]
        let leaf = ((tls?["server"] as? [String: Any])?["hash"] as? [String: Any])?["sha256"] as? String ?? "-"
        let name = (tls?["client"] as? [String: Any])?["server_name"] as? String ?? "-"
        let severity = (alert["event"] as? [String: Any])?["severity"] as? Int ?? -1
        return "\(rule) \(leaf) \(name) \(severity)"
    }

    static func folder(of alert: [String: Any]) -> String? {
        ((alert["mitmwatch"] as? [String: Any])?["evidence"] as? [String: Any])?["path"] as? String
    }

    static func alerts(_ result: ReadCommandTests.Result) throws -> [[String: Any]] {
        try ReadCommandTests.records(result).filter { ($0["event"] as? [String: Any])?["kind"] as? String == "alert" }
    }

    /// Checks every alert of `alerts` against its bundle: the files are there, alert.json holds
    /// it, and `read` of the bundle's pcap raises the same alerts the session raised.
    static func checkBundles(of alerts: [[String: Any]], label: String) throws {
        var bySession: [String: [String]] = [:]
        for alert in alerts {
            let folder = try #require(Self.folder(of: alert), "\(label): an alert without evidence")
            bySession[folder, default: []].append(key(alert))
        }
        for (folder, keys) in bySession {
            let files = Set((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            #expect(files.isSuperset(of: ["alert.json", "session.json", "handshake.pcap"]), "\(label): \(folder) has \(files)")
            let written = (try String(contentsOfFile: folder + "/alert.json", encoding: .utf8)).split(separator: "\n")
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(written.map(key).sorted() == keys.sorted(), "\(label): \(folder)/alert.json")
            let again = try ReadCommandTests.run(["read", "--format", "json", "--events", "alerts", "--quiet",
                                                  folder + "/handshake.pcap"])
            #expect(again.status == 0)
            #expect(try Self.alerts(again).map(key).sorted() == keys.sorted(), "\(label): \(folder)/handshake.pcap")
        }
    }

    static var peers: String {
        let shared = ProcessInfo.processInfo.environment["MITMWATCH_SHARED"]
            ?? ReadCommandTests.root.deletingLastPathComponent().appendingPathComponent("shared").path
        return shared + "/corpus/peers"
    }

    /// Captures that raise alerts, from the samples, our real-stack fixtures and peers' suites:
    /// TLS 1.2 chains cut in many segments, out-of-order server flights, STARTTLS and SOCKS
    /// preludes, PPPoE in QinQ, pcapng, IPv6.
    static let captures: [String] = [
        ReadCommandTests.demo,
        ReadCommandTests.root.appendingPathComponent("Tests/SnifferTests/Fixtures/real/kz-interception-tls12.pcap").path,
        peers + "/suricata-verify/tls__tls-subjectaltname__input.pcap",
        peers + "/ndpi/signal.pcap",
        peers + "/ndpi/tls_certificate_too_long.pcap",
        peers + "/ndpi/http_ipv6.pcap",
        peers + "/ndpi/smtp-starttls.pcap",
        peers + "/ndpi/sites.pcapng",
        peers + "/arkime/socks-https-example.pcap",
        peers + "/zeek/pppoe-over-qinq.pcap",
        peers + "/zeek/psql-aws-ssl-require.pcap",
        peers + "/zeek/chrome-34-google.pcap",
    ]

    @Test(arguments: captures)
    func everyAlertNamesABundleWhosePcapRaisesItAgain(_ capture: String) throws {
        let directory = NSTemporaryDirectory() + "evidence-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try ReadCommandTests.run(["read", "--format", "json", "--events", "alerts", "--summary-format", "json",
                                               "--evidence", directory, capture])
        #expect(result.status == 0, "\(result.stderr)")
        let alerts = try Self.alerts(result)
        #expect(!alerts.isEmpty, "\(capture) raises no alert")
        try Self.checkBundles(of: alerts, label: (capture as NSString).lastPathComponent)
        let summary = try JSONSerialization.jsonObject(with: Data(result.stderr.utf8)) as? [String: Any]
        let evidence = summary?["evidence"] as? [String: Any]
        #expect(evidence?["bundles_written"] as? Int == Set(alerts.compactMap(Self.folder)).count)
        #expect(evidence?["bundles_failed"] as? Int == 0)
    }

    @Test func theDirectoryStaysWithinItsCapUnderAFloodOfAlertsAndAcrossRuns() throws {
        let kit = try OpenSSLKit()
        try LiveDaemonTests.kazakhstanChain(kit)
        let chain = [try kit.der("leaf"), try kit.der("intermediate")]
        // 400 sessions a second apart, each its own alert (its own client port): ~6 MiB of bundles.
        let sessions = (0 ..< 400).map { TimedCapture.Session(serverName: "www.facebook.example", chain: chain,
                                                              at: 1_780_000_000 + Int64($0)) }
        let capture = kit.path("flood.pcap")
        try Data(TimedCapture.pcap(sessions)).write(to: URL(fileURLWithPath: capture))
        let directory = kit.path("evidence")
        let cap = 1 << 20
        /// What the bundles take on disk (du), and their folders.
        func directoryBytes() throws -> (bytes: Int, folders: [String]) {
            let folders = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
            let du = try ReadCommandTests.runShell("cd '\(directory)' && du -s -B1 -- */ | awk '{s += $1} END {print s + 0}'")
            return (Int(du.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1, folders)
        }
        var removedTotal = 0
        for run in 1 ... 2 {
            let result = try ReadCommandTests.run(["read", "--format", "json", "--events", "alerts", "--summary-format", "json",
                                                   "--evidence", directory, "--evidence-max-bytes", "\(cap)", capture])
            #expect(result.status == 0, "\(result.stderr)")
            let alerts = try Self.alerts(result)
            #expect(Set(alerts.compactMap(Self.folder)).count == 400, "run \(run): every session's alerts name a bundle")
            let summary = try JSONSerialization.jsonObject(with: Data(result.stderr.utf8)) as? [String: Any]
            let evidence = try #require(summary?["evidence"] as? [String: Any])
            #expect(evidence["bundles_written"] as? Int == 400)
            let removed = evidence["bundles_removed"] as? Int ?? 0
            removedTotal += removed
            let (bytes, folders) = try directoryBytes()
            #expect(bytes > 0 && bytes <= cap, "run \(run): \(bytes) bytes on disk in \(folders.count) bundles")
            #expect(folders.count == 400 * run - removedTotal, "run \(run): what is there is what was not removed")
            #expect(folders.count > 20 && removed > 200, "run \(run): \(folders.count) kept, \(removed) removed")
            #expect(!folders.contains { $0.hasSuffix(".partial") })
            // The newest are the ones kept.
            let newest = alerts.compactMap(Self.folder).last.map { ($0 as NSString).lastPathComponent }
            #expect(newest.map(folders.contains) == true)
        }
        // A bundle that survived is whole and raises its alert again.
        let (_, folders) = try directoryBytes()
        let kept = try #require(folders.last)
        let again = try ReadCommandTests.run(["read", "--format", "json", "--events", "alerts", "--quiet",
                                              directory + "/" + kept + "/handshake.pcap"])
        #expect(try Self.alerts(again).map { ($0["rule"] as? [String: Any])?["id"] as? String }.contains("known-interception-ca"))
    }

    @Test func aDirectoryThatCannotBeMadeIsSaidOnceAndTheAlertsGoOutWithout() throws {
        let result = try ReadCommandTests.run(["read", "--format", "json", "--events", "alerts",
                                               "--evidence", "/nonexistent-\(UUID().uuidString)/evidence", ReadCommandTests.demo])
        #expect(result.status == 0)
        let alerts = try Self.alerts(result)
        #expect(alerts.count == 2 && alerts.allSatisfy { Self.folder(of: $0) == nil })
        #expect(result.stderr.components(separatedBy: "alerts go out without evidence").count == 2, "\(result.stderr)")
        #expect(result.stderr.contains("evidence: 0 bundles (failed 1"))
    }

    @Test func badEvidenceSettingsAreOneLineNamingTheKeyOrOption() throws {
        let bad = try ReadCommandTests.run(["read", "--evidence-max-bytes", "1000", "--evidence", "/tmp/x", ReadCommandTests.demo])
        #expect(bad.status != 0 && bad.stderr.contains("--evidence-max-bytes must be at least 1048576"))
        let directory = NSTemporaryDirectory() + "evidence-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (config, expected) in [
            (#"{"evidence": {"dir": "relative/dir"}}"#, #"key 'evidence.dir': "relative/dir" is not an absolute path"#),
            (#"{"evidence": {"max_bytes": 1000}}"#, "key 'evidence.max_bytes': expected an integer from 1048576"),
            (#"{"evidence": {"max_packets_per_flow": 0}}"#, "key 'evidence.max_packets_per_flow': expected an integer from 1"),
            (#"{"evidence": {"folder": "/x"}}"#, "unknown key 'evidence.folder'"),
        ] {
            let path = directory + "/config.json"
            try config.write(toFile: path, atomically: true, encoding: .utf8)
            let result = try ReadCommandTests.run(["check-config", path])
            #expect(result.status == 1 && result.stderr.contains(expected), "\(config): \(result.stderr)")
        }
        try #"{"interfaces": ["lo"], "evidence": {"dir": "/srv/evidence", "max_bytes": 104857600}}"#
            .write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        let good = try ReadCommandTests.run(["check-config", directory + "/config.json"])
        #expect(good.status == 0 && good.stdout.contains("evidence bundles in /srv/evidence (at most 100 MiB)"), "\(good.stdout)")
    }
}
