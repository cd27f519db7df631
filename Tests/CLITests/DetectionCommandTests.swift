import Foundation
import Testing

/// Alerts and the indicators command, as a user runs them.
@Suite struct DetectionCommandTests {
    @Test func demoCaptureRaisesTheKazakhstanAlertsAndOnlyThem() throws {
        let result = try ReadCommandTests.run(["read", "--format", "json", "--events", "alerts", ReadCommandTests.demo])
        #expect(result.status == 0)
        let alerts = try ReadCommandTests.records(result)
        #expect(alerts.map { ($0["rule"] as? [String: Any])?["id"] as? String } == ["known-interception-ca", "interception-shape"])
        let alert = try #require(alerts.first)
        #expect((alert["event"] as? [String: Any])?["kind"] as? String == "alert")
        #expect((alert["event"] as? [String: Any])?["dataset"] as? String == "mitmwatch.alert")
        #expect((alert["event"] as? [String: Any])?["severity"] as? Int == 90)
        #expect((alert["message"] as? String)?.contains("traffic to this site is being decrypted") == true)
        #expect((alert["destination"] as? [String: Any])?["port"] as? Int == 20110)
        let indicator = (alert["threat"] as? [String: Any])?["indicator"] as? [String: Any]
        #expect(indicator?["type"] as? String == "x509-certificate")
        #expect(indicator?["name"] as? String == "kz-qaznet-security-certificate-intermediate")
        let match = (alert["mitmwatch"] as? [String: Any])?["match"] as? [String: Any]
        #expect(match?["type"] as? String == "issuer_name")
        #expect(match?["position"] as? Int == 0)
        let x509 = ((alert["tls"] as? [String: Any])?["server"] as? [String: Any])?["x509"] as? [String: Any]
        #expect(x509?["public_key_exponent"] as? Int == 3)
    }

    @Test func sessionRecordsCarryTheVerdict() throws {
        let result = try ReadCommandTests.run(["read", "--format", "json", "--events", "sessions", ReadCommandTests.demo])
        let verdicts = try ReadCommandTests.records(result).map { ($0["mitmwatch"] as? [String: Any])?["verdict"] as? [String] }
        #expect(verdicts.count == 4)
        #expect(verdicts.filter { $0 == [] }.count == 3)
        #expect(verdicts.contains { $0 == ["known-interception-ca", "interception-shape"] })
    }

    @Test func dedupSuppressesRepeatsAndCountsThem() throws {
        let all = try ReadCommandTests.run(["read", "--format", "json", "--events", "alerts", "--quiet",
                                            ReadCommandTests.demo, ReadCommandTests.demo])
        #expect(all.lines.count == 4)
        let deduped = try ReadCommandTests.run(["read", "--format", "json", "--events", "alerts", "--dedup",
                                                ReadCommandTests.demo, ReadCommandTests.demo])
        #expect(deduped.lines.count == 2)
        #expect(deduped.stderr.contains("2 repeats suppressed"))
    }

    @Test func indicatorsListShowCheck() throws {
        let list = try ReadCommandTests.run(["indicators", "list"])
        #expect(list.status == 0)
        #expect(list.lines.count == 45)
        let show = try ReadCommandTests.run(["indicators", "show", "kz-qaznet-trust-network-root"])
        #expect(show.status == 0)
        #expect(show.stdout.contains("CN=Qaznet Trust Network,C=KZ"))
        let missing = try ReadCommandTests.run(["indicators", "show", "no-such-id"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no-such-id"))
        let check = try ReadCommandTests.run(["indicators", "check", InspectCommandTests.qaznetPath])
        #expect(check.status == 3)
        #expect(check.stdout.contains("fingerprint match with kz-qaznet-trust-network-root"))
    }

    @Test func badIndicatorPathIsAClearError() throws {
        let result = try ReadCommandTests.run(["read", "--indicators", "/nonexistent/dir", ReadCommandTests.demo])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--indicators /nonexistent/dir"))
    }
}

@Suite struct UntrustedChainCommandTests {
    @Test func privateNamesAreOutOfScopeByDefaultAndJudgedWithScopeAll() throws {
        let quiet = try ReadCommandTests.run(["read", "--format", "json", "--events", "alerts", ReadCommandTests.demo])
        #expect(try ReadCommandTests.records(quiet).allSatisfy { ($0["rule"] as? [String: Any])?["id"] as? String != "untrusted-chain" })
        let all = try ReadCommandTests.run(["read", "--format", "json", "--events", "alerts", "--untrusted-scope", "all",
                                            ReadCommandTests.demo])
        let untrusted = try ReadCommandTests.records(all).filter { ($0["rule"] as? [String: Any])?["id"] as? String == "untrusted-chain" }
        // The three chains made for the demo are signed by local CAs the system store does not hold.
        #expect(untrusted.count == 3)
        #expect(untrusted.allSatisfy { (($0["mitmwatch"] as? [String: Any])?["reasons"] as? [String])?.contains("unknown-issuer") == true })
        #expect(untrusted.allSatisfy { (($0["mitmwatch"] as? [String: Any])?["detail"] as? String)?.isEmpty == false })
    }

    @Test func badTrustStoreAndScopeAreClearErrors() throws {
        let store = try ReadCommandTests.run(["read", "--trust-store", "/nonexistent.pem", ReadCommandTests.demo])
        #expect(store.status != 0)
        #expect(store.stderr.contains("--trust-store /nonexistent.pem"))
        let scope = try ReadCommandTests.run(["read", "--untrusted-scope", "everything", ReadCommandTests.demo])
        #expect(scope.status != 0)
        #expect(scope.stderr.contains("everything"))
    }
}
