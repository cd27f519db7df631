@testable import Daemon
import Detector
import Foundation
import Testing

/// `rules.issuer-change.*`, `rules.tls-downgrade.*`, `rules.server-profile-change.*`,
/// `rules.history_names`: defaults, values, and errors naming key and value.
@Suite struct HistoryConfigTests {
    @Test func defaultsAndValues() throws {
        #expect(try ConfigLimitsTests.decode("{}").history == HistorySettings())
        let history = try ConfigLimitsTests.decode("""
            {"rules": {"issuer-change": {"min_observations": 50, "min_days": 14}, "tls-downgrade": {"enabled": false},
             "server-profile-change": {"min_days": 0.5}, "history_names": 5000}}
            """).history
        #expect(history.issuerChange == HistorySettings.Threshold(minObservations: 50, minDays: 14))
        #expect(!history.tlsDowngrade.enabled && history.tlsDowngrade.minObservations == 10)
        #expect(history.serverProfileChange.minDays == 0.5 && history.names == 5000)
    }

    @Test(arguments: [
        (#"{"issuer-change": {"min_observations": 0}}"#,
         "key 'rules.issuer-change.min_observations': expected an integer from 1 to 1000000, got 0"),
        (#"{"tls-downgrade": {"minimum": 3}}"#, "unknown key 'rules.tls-downgrade.minimum'"),
        (#"{"server-profile-change": {"enabled": "no"}}"#, #"key 'rules.server-profile-change.enabled': expected true or false, got "no""#),
        (#"{"issuer-change": {"min_days": -1}}"#, "key 'rules.issuer-change.min_days': expected a number from 0.0 to 3650.0, got -1"),
        (#"{"issuer_change": {}}"#, "unknown key 'rules.issuer_change'"),
        (#"{"history_names": 0}"#, "key 'rules.history_names': expected an integer from 1 to 10000000, got 0"),
    ])
    func badValuesNameTheKeyAndTheValue(rules: String, expected: String) {
        do {
            _ = try ConfigLimitsTests.decode(#"{"rules": \#(rules)}"#)
            Issue.record("accepted \(rules)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }
}
