@testable import Daemon
import Foundation
import TestSupport
import Testing

/// The `probe.*` keys: defaults, values that reach the settings, and errors naming key and value.
@Suite struct FollowUpConfigTests {
    @Test func defaultsAndValues() throws {
        let defaults = try ConfigLimitsTests.decode("{}").probe
        #expect(defaults == DaemonConfig.Probe())
        #expect(!defaults.followUnobserved && defaults.cacheSeconds == 3600 && defaults.maxPerMinute == 60)
        #expect(defaults.timeoutSeconds == 10 && defaults.exclude.isEmpty && defaults.sourceAddress == nil && defaults.queue == 256)
        let probe = try ConfigLimitsTests.decode("""
            {"probe": {"follow_unobserved": true, "cache_seconds": 60, "max_per_minute": 5, "timeout_seconds": 2.5,
             "exclude": ["Example.COM", "*.intranet.test"], "source_address": "::1", "queue": 8}}
            """).probe
        #expect(probe.followUnobserved && probe.cacheSeconds == 60 && probe.maxPerMinute == 5 && probe.timeoutSeconds == 2.5)
        #expect(probe.exclude == ["example.com", "intranet.test"] && probe.sourceAddress == "::1" && probe.queue == 8)
    }

    @Test(arguments: [
        (#"{"follow_unobserved": "yes"}"#, #"key 'probe.follow_unobserved': expected true or false, got "yes""#),
        (#"{"cache_seconds": 0}"#, "key 'probe.cache_seconds': expected a number from 1.0 to 604800.0, got 0"),
        (#"{"max_per_minute": 1.5}"#, "key 'probe.max_per_minute': expected an integer from 1 to 3600, got 1.5"),
        (#"{"max_per_minute": 0}"#, "key 'probe.max_per_minute': expected an integer from 1 to 3600, got 0"),
        (#"{"timeout_seconds": 301}"#, "key 'probe.timeout_seconds': expected a number from 0.1 to 300.0, got 301"),
        (#"{"exclude": "example.com"}"#, #"key 'probe.exclude': expected a list of strings, got "example.com""#),
        (#"{"exclude": ["ok.example", "bad name"]}"#, #"key 'probe.exclude': "bad name" is not a DNS name suffix"#),
        (#"{"source_address": "gateway.local"}"#,
         #"key 'probe.source_address': "gateway.local" is not a numeric IPv4 or IPv6 address"#),
        (#"{"queue": 70000}"#, "key 'probe.queue': expected an integer from 1 to 65536, got 70000"),
        (#"{"target": []}"#, "unknown key 'probe.target'"),
        (#"{"max_hops": 0}"#, "key 'probe.max_hops': expected an integer from 1 to 64, got 0"),
        (#"{"locate": 1}"#, "key 'probe.locate': expected true or false, got 1"),
        (#"{"targets": "example.com"}"#, #"key 'probe.targets': expected a list of strings, got "example.com""#),
        (#"{"targets": ["ok.example", "1.2.3.4"]}"#, #"key 'probe.targets': "1.2.3.4" does not start with a server name"#),
        (#"{"targets": ["a.example@[::1"]}"#, #"key 'probe.targets': "a.example@[::1" has no valid HOST[:PORT] after the name"#),
        (#"{"targets": ["a.example:0"]}"#, "port '0' is not a number from 1 to 65535"),
        (#"{"interval_seconds": 5}"#, "key 'probe.interval_seconds': expected a number from 10.0 to 604800.0, got 5"),
        (#"{"targets_file": ""}"#, "key 'probe.targets_file': the path is empty"),
        (#"[]"#, "key 'probe': expected an object, got a list"),
    ])
    func badValuesNameTheKeyAndTheValue(probe: String, expected: String) {
        do {
            _ = try ConfigLimitsTests.decode(#"{"probe": \#(probe)}"#)
            Issue.record("accepted \(probe)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func checkConfigSaysWhatIsWrong() throws {
        let kit = try OpenSSLKit()
        let config = kit.path("config.json")
        try #"{"interfaces": ["lo"], "probe": {"follow_unobserved": true, "max_per_minute": -1}}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let check = try ReadCommandTests.run(["check-config", config])
        #expect(check.status == 1)
        #expect(check.stderr.contains("key 'probe.max_per_minute': expected an integer from 1 to 3600, got -1"))
        try #"{"interfaces": ["lo"], "probe": {"follow_unobserved": true, "exclude": ["corp.example"]}}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let ok = try ReadCommandTests.run(["check-config", config])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("probes: follow-ups of unobservable sessions (at most 60/min, each server and name once per 3600 s, 1 suffixes excluded)"), "\(ok.stdout)")
        try #"{"interfaces": ["lo"]}"#.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try ReadCommandTests.run(["check-config", config]).stdout.contains("probes off"))
    }
}
