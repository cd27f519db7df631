@testable import Daemon
import Foundation
import Testing
import TestSupport

/// `read --state postgresql://…` and `history --state postgresql://…` as a user runs them, against
/// a real PostgreSQL server started here: two sensors into one database, and the server refusing.
@Suite(.serialized) struct PostgresHistoryTests {
    typealias Run = ReadCommandTests

    static func server() throws -> PostgresServer? {
        if let reason = PostgresServer.unavailable {
            Issue.record("PostgreSQL tests skipped: \(reason)")
            return nil
        }
        return try PostgresServer()
    }

    @Test func twoSensorsIntoOneDatabaseThenHistoryShowsTheChainSeenByBoth() throws {
        guard let server = try Self.server() else { return }
        defer { server.destroy() }
        let url = server.url()
        let plain = try Run.run(["read", "--format", "json", "--quiet", Run.demo])
        for sensor in ["gateway-a", "gateway-b"] {
            let read = try Run.run(["read", "--format", "json", "--state", url, "--sensor", sensor, Run.demo])
            #expect(read.status == 0, "\(read.stderr)")
            // The store changes nothing in the output; the sensor is named in every record.
            let named = plain.stdout.replacingOccurrences(of: #""network":{"transport":"tcp","protocol":"tls"},"#,
                                                          with: #""network":{"transport":"tcp","protocol":"tls"},"observer":{"name":"\#(sensor)"},"#)
            #expect(named != plain.stdout && read.stdout == named)
            #expect(read.stderr.contains("state store: 4 session(s) recorded"), "\(read.stderr)")
        }
        let history = try Run.run(["history", "www.facebook.example", "--state", url, "--format", "json"])
        #expect(history.status == 0, "\(history.stderr)")
        let records = try HistoryCommandTests.json(history)
        #expect(records.count == 1, "\(history.stdout)")
        let record = try #require(records.first)
        #expect(HistoryCommandTests.nested(record, "mitmwatch.history.sensors") as? [String] == ["gateway-a", "gateway-b"])
        #expect(HistoryCommandTests.nested(record, "mitmwatch.history.count") as? Int == 2)
        let verdict = HistoryCommandTests.nested(record, "mitmwatch.verdict") as? [String] ?? []
        #expect(verdict.contains("known-interception-ca"), "\(verdict)")
        #expect(HistoryCommandTests.nested(record, "tls.server.issuer") as? String == "CN=Security Certificate,C=KZ")

        let text = try Run.run(["history", "www.facebook.example", "--state", url])
        #expect(text.lines.count == 1 && text.stdout.contains("known-interception-ca")
                && text.stdout.contains("sensors gateway-a,gateway-b"), "\(text.stdout)")
        // The same file store answers the same (the embedded store stays the default).
        let directory = HistoryCommandTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for sensor in ["gateway-a", "gateway-b"] {
            _ = try Run.run(["read", "--quiet", "--state", directory + "/state.db", "--sensor", sensor, Run.demo])
        }
        let file = try Run.run(["history", "www.facebook.example", "--state", directory + "/state.db", "--format", "json"])
        #expect(file.stdout == history.stdout)
    }

    @Test func aWrongPasswordOrAMissingDatabaseIsOneLineNamingTheSettingAndExit1() throws {
        guard let server = try Self.server() else { return }
        defer { server.destroy() }
        let cases = [(server.url(password: "not-the-password"), "password authentication failed"),
                     (server.url(database: "nosuchdb"), "database \"nosuchdb\" does not exist")]
        for (url, reason) in cases {
            for arguments in [["read", "--state", url, Run.demo], ["history", "www.facebook.example", "--state", url]] {
                let result = try Run.run(arguments)
                #expect(result.status == 1, "\(arguments[0]): \(result.stderr)")
                #expect(result.stdout.isEmpty)
                let lines = result.stderr.split(separator: "\n")
                #expect(lines.count == 1 && result.stderr.hasPrefix("mitmwatch: --state: postgresql://mitmwatch:***@/")
                        && result.stderr.contains(reason), "\(result.stderr)")
                #expect(!result.stderr.contains("not-the-password") && !result.stderr.contains(PostgresServer.password))
            }
        }
        // A server that is not there at all, and an sslmode libpq does not know: the same, one line.
        server.stop()
        for url in [server.url(), server.url() + "&sslmode=sometimes"] {
            let result = try Run.run(["history", "www.facebook.example", "--state", url])
            #expect(result.status == 1 && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(!result.stderr.contains(PostgresServer.password), "\(result.stderr)")
        }
    }

    @Test func sslmodeIsTheServersAndLibpqsOneLineWhenRefused() throws {
        if let reason = PostgresServer.unavailable {
            Issue.record("PostgreSQL tests skipped: \(reason)")
            return
        }
        let server = try PostgresServer(tcpPort: UInt16.random(in: 20_000...60_000))
        defer { server.destroy() }
        // The server speaks no TLS: sslmode=require is refused before any password is sent.
        let refused = try Run.run(["read", "--state", server.tcpURL(sslmode: "require"), Run.demo])
        #expect(refused.status == 1 && refused.stdout.isEmpty, "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1 && refused.stderr.contains("SSL")
                && refused.stderr.contains("sslmode=require") && refused.stderr.contains("mitmwatch:***@127.0.0.1"), "\(refused.stderr)")
        #expect(!refused.stderr.contains(PostgresServer.password))
        let plain = try Run.run(["read", "--quiet", "--state", server.tcpURL(sslmode: "disable"), "--sensor", "tcp", Run.demo])
        #expect(plain.status == 0, "\(plain.stderr)")
        let history = try Run.run(["history", "www.facebook.example", "--state", server.tcpURL(sslmode: "prefer")])
        #expect(history.status == 0 && history.stdout.contains("sensors tcp"), "\(history.stdout)\(history.stderr)")
    }

    @Test func stateURLAndSensorNameAreCheckedWithThePasswordMasked() throws {
        let config = try ConfigLimitsTests.decode("""
            {"state": {"url": "postgresql://mw:pw@db.example/mitmwatch?sslmode=verify-full"}, "sensor": {"name": "office-1"}}
            """)
        #expect(config.state.url == "postgresql://mw:pw@db.example/mitmwatch?sslmode=verify-full")
        #expect(config.state.sensor == "office-1")
        #expect(try ConfigLimitsTests.decode("{}").state.url == nil)
        for (json, expected) in [
            (#"{"state": {"url": "mysql://mw:pw@db/x"}}"#, #"key 'state.url': "mysql://mw:***@db/x" is not a postgresql://"#),
            (#"{"state": {"url": "postgresql://mw:pw%zz@db/x"}}"#, "key 'state.url': \"postgresql://mw:***@db/x\" is not a valid URL"),
            (#"{"sensor": {"name": ""}}"#, "key 'sensor.name'"),
            (#"{"sensor": {"host": "x"}}"#, "host"),
        ] {
            do {
                _ = try ConfigLimitsTests.decode(json)
                Issue.record("accepted \(json)")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
                #expect(!"\(error)".contains("pw@") && !"\(error)".contains("pw%zz"), "\(error)")
            }
        }
    }
}
