import Foundation
import TestSupport
import Testing

/// The history rules through `read --state`: a capture spanning days builds a settled history in
/// the store; a second capture read into the same store then draws `issuer-change` — medium for a
/// migration to a CA the gateway knows, high for a forged chain — and `history` shows the chains.
/// Without `--state`, the same captures draw no history alert.
@Suite struct HistoryRulesCommandTests {
    typealias CLI = ReadCommandTests

    static func alerts(_ result: ReadCommandTests.Result) throws -> [[String: Any]] {
        try CLI.records(result).filter { ($0["event"] as? [String: Any])?["kind"] as? String == "alert" }
    }

    static func rule(_ alert: [String: Any]) -> String? { (alert["rule"] as? [String: Any])?["id"] as? String }
    static func severity(_ alert: [String: Any]) -> String? { (alert["mitmwatch"] as? [String: Any])?["severity"] as? String }

    @Test func readStateLearnsThenJudgesIssuerChanges() throws {
        let pki = try HistoryPKI()
        let start = Int64(Date().timeIntervalSince1970) + 60  // the test certificates are valid from now
        var learnt: [TimedCapture.Session] = []
        for step in 0..<16 {  // four days, every six hours
            let at = start + Int64(step) * 6 * 3600
            learnt.append(.init(serverName: "www.bank.example", chain: try pki.chain("www.bank.example", by: "caA"), at: at))
            learnt.append(.init(serverName: "www.shop.example", chain: try pki.chain("www.shop.example", by: "caA"), at: at + 1))
            learnt.append(.init(serverName: "www.other.example", chain: try pki.chain("www.other.example", by: "caB"), at: at + 2))
        }
        let later = start + 5 * 86_400
        let changes: [TimedCapture.Session] = [
            .init(serverName: "www.shop.example", chain: try pki.chain("www.shop.example", by: "caB"), at: later),
            .init(serverName: "www.bank.example", chain: [try pki.forged("www.bank.example")], at: later + 60),
        ]
        try Data(TimedCapture.pcap(learnt)).write(to: URL(fileURLWithPath: pki.kit.path("days.pcap")))
        try Data(TimedCapture.pcap(changes)).write(to: URL(fileURLWithPath: pki.kit.path("changes.pcap")))
        let store = pki.kit.path("state.db")
        // The test's root stands for the public trust store; its leaves carry no SCTs (missing-sct off).
        let options = ["--format", "json", "--events", "alerts", "--trust-store", pki.kit.path("root.pem"),
                       "--untrusted-scope", "all", "--no-missing-sct"]

        let first = try CLI.run(["read", "--state", store] + options + [pki.kit.path("days.pcap")])
        #expect(first.status == 0, "\(first.stderr)")
        let firstAlerts = try Self.alerts(first)
        #expect(firstAlerts.isEmpty, "\(firstAlerts.map { (Self.rule($0) ?? "?") + " " + String(describing: $0["message"] ?? "") })")
        let second = try CLI.run(["read", "--state", store] + options + [pki.kit.path("changes.pcap")])
        #expect(second.status == 0, "\(second.stderr)")
        let alerts = try Self.alerts(second)
        let changed = alerts.filter { Self.rule($0) == "issuer-change" }
        #expect(changed.count == 2, "\(alerts.map { Self.rule($0) ?? "?" })")
        let migration = changed.first { ($0["tls"] as? [String: Any]).flatMap { ($0["client"] as? [String: Any])?["server_name"] as? String } == "www.shop.example" }
        let forgery = changed.first { ($0["tls"] as? [String: Any]).flatMap { ($0["client"] as? [String: Any])?["server_name"] as? String } == "www.bank.example" }
        #expect(migration.map(Self.severity) == "medium", "\(String(describing: migration))")
        #expect(forgery.map(Self.severity) == "high")
        #expect(((forgery?["event"] as? [String: Any])?["severity"] as? Int) == 70)
        #expect(alerts.contains { Self.rule($0) == "untrusted-chain" })

        // The store holds both chains of the bank's name; `--changes` names both names.
        let history = try CLI.run(["history", "www.bank.example", "--state", store, "--format", "json"])
        #expect(history.status == 0, "\(history.stderr)")
        let rows = try CLI.records(history)
        #expect(rows.count == 2)
        #expect(rows.contains { ($0["mitmwatch"] as? [String: Any]).flatMap { ($0["verdict"] as? [String]) }?.contains("issuer-change") == true })
        let changesList = try CLI.run(["history", "--changes", "--state", store])
        #expect(changesList.stdout.contains("www.bank.example") && changesList.stdout.contains("www.shop.example"), "\(changesList.stdout)")

        // No store, no history: the same captures read on their own draw no history alert.
        let plain = try CLI.run(["read"] + options + [pki.kit.path("days.pcap"), pki.kit.path("changes.pcap")])
        #expect(try Self.alerts(plain).allSatisfy { Self.rule($0) != "issuer-change" })
    }
}
