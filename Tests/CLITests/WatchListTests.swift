@testable import Daemon
import Detector
import Foundation
import Sniffer
import TestSupport
import Testing

/// The watch list (`probe.targets`, `probe.targets_file`, `probe.interval_seconds`): its entries,
/// its file, the shipped Kazakhstan 2019 list, the schedule, and capture's sightings of the
/// prober's own connections.
@Suite struct WatchListTests {
    @Test func entries() throws {
        let plain = try WatchTarget(parsing: "WWW.Facebook.com.")
        #expect(plain.serverName == "www.facebook.com" && plain.connect == ProbeTarget(host: "www.facebook.com", port: 443, isAddress: false))
        #expect(plain.description == "www.facebook.com")
        let ported = try WatchTarget(parsing: "mail.ru:8443")
        #expect(ported.connect == ProbeTarget(host: "mail.ru", port: 8443, isAddress: false) && ported.description == "mail.ru:8443")
        let at = try WatchTarget(parsing: "vk.com@203.0.113.7")
        #expect(at.serverName == "vk.com" && at.connect == ProbeTarget(host: "203.0.113.7", port: 443, isAddress: true))
        let six = try WatchTarget(parsing: "ok.ru@[2001:db8::7]:9443")
        #expect(six.connect == ProbeTarget(host: "2001:db8::7", port: 9443, isAddress: true))
        #expect(six.description == "ok.ru@[2001:db8::7]:9443")
        let named = try WatchTarget(parsing: "google.com@Edge.Example:444")
        #expect(named.connect == ProbeTarget(host: "edge.example", port: 444, isAddress: false))
    }

    @Test(arguments: ["", "1.2.3.4", "[::1]:443", "bad name.example", "a..b", "@127.0.0.1", "a.example@",
                      "a.example@[::1", "a.example@host:99999", "a.example@127.0.0.1:443/x", "ex ample@1.2.3.4"])
    func badEntries(text: String) {
        #expect(throws: WatchTarget.Invalid.self) { try WatchTarget(parsing: text) }
    }

    @Test func aTargetsFileSkipsCommentsAndNamesTheBadLine() throws {
        let targets = try WatchTargetsFile.parse("# a list\n\n  a.example   # first\r\nb.example@127.0.0.1:8443\n", naming: "list.txt")
        #expect(targets.map(\.description) == ["a.example", "b.example@127.0.0.1:8443"])
        #expect(throws: WatchTargetsFile.Invalid.self) { try WatchTargetsFile.parse("a.example\nnot a name\n", naming: "list.txt") }
        do {
            _ = try WatchTargetsFile.parse("a.example\nnot a name\n", naming: "list.txt")
        } catch {
            #expect(error.description.hasPrefix("list.txt line 2: \"not a name\""), "\(error)")
        }
    }

    @Test func theShippedKazakhstanListParses() throws {
        let path = ReadCommandTests.root.appendingPathComponent("data/watchlists/kazakhstan-2019.txt").path
        let targets = try WatchTargetsFile.read(path)
        #expect(targets.count == 36)
        #expect(Set(targets).count == targets.count)
        #expect(targets.contains { $0.serverName == "www.facebook.com" } && targets.contains { $0.serverName == "messages.android.com" })
        #expect(targets.allSatisfy { $0.connect.port == 443 && !$0.connect.isAddress })
    }

    @Test func theConfigurationReadsTheFileBesideItAndMergesTheLists() throws {
        let kit = try OpenSSLKit()
        try "b.example\nc.example\n".write(toFile: kit.path("watch.txt"), atomically: true, encoding: .utf8)
        try #"{"probe": {"targets": ["a.example", "b.example"], "targets_file": "watch.txt", "interval_seconds": 60}}"#
            .write(toFile: kit.path("config.json"), atomically: true, encoding: .utf8)
        let probe = try DaemonConfig.load(path: kit.path("config.json")).probe
        #expect(probe.watchList.map(\.serverName) == ["a.example", "b.example", "c.example"])
        #expect(probe.intervalSeconds == 60)
        let check = try ReadCommandTests.run(["check-config", kit.path("config.json")])
        #expect(check.stdout.contains("probes: a watch list of 3 names every 60 s"), "\(check.stdout)")

        try #"{"probe": {"targets_file": "missing.txt"}}"#.write(toFile: kit.path("config.json"), atomically: true, encoding: .utf8)
        let missing = try ReadCommandTests.run(["check-config", kit.path("config.json")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("key 'probe.targets_file': \(kit.path("missing.txt")) cannot be read"), "\(missing.stderr)")
        try "ok.example\n999.1.1.1\n".write(toFile: kit.path("watch.txt"), atomically: true, encoding: .utf8)
        try #"{"probe": {"targets_file": "watch.txt"}}"#.write(toFile: kit.path("config.json"), atomically: true, encoding: .utf8)
        let bad = try ReadCommandTests.run(["check-config", kit.path("config.json")])
        #expect(bad.stderr.contains("key 'probe.targets_file': \(kit.path("watch.txt")) line 2: \"999.1.1.1\""), "\(bad.stderr)")
        try #"{"probe": {"targets_file": "/dev/zero"}}"#.write(toFile: kit.path("config.json"), atomically: true, encoding: .utf8)
        #expect(try ReadCommandTests.run(["check-config", kit.path("config.json")]).stderr.contains("/dev/zero is not a regular file"))
    }

    @Test func eachNameIsProbedTwiceARoundSpacedOut() throws {
        let targets = [try WatchTarget(parsing: "a.example"), try WatchTarget(parsing: "b.example")]
        var schedule = WatchSchedule(targets: targets, interval: 100, now: 1000)
        #expect(schedule.nextDue == 1000)
        var taken: [(Double, WatchSchedule.Job)] = []
        var now = 1000.0
        while now < 1250 {
            while let job = schedule.take(now: now) { taken.append((now, job)) }
            now += 0.5
        }
        #expect(taken.count == 12)  // three rounds of four
        #expect(taken.prefix(4).map(\.1.versions) == [.any, .tls12, .any, .tls12])
        #expect(taken.prefix(4).map(\.1.target.serverName) == ["a.example", "a.example", "b.example", "b.example"])
        #expect(taken.prefix(4).map(\.0) == [1000, 1001, 1002, 1003])  // one a second
        #expect(taken[4].0 == 1100 && taken[8].0 == 1200)
        // A long list keeps its round within half the interval.
        let many = try (0..<400).map { try WatchTarget(parsing: "n\($0).example") }
        let spread = WatchSchedule(targets: many, interval: 100, now: 0)
        #expect(spread.jobs.count == 800 && spread.nextDue == 0)
        var late = spread
        var last = 0.0
        while let _ = late.take(now: 49.99) { last += 1 }
        #expect(last == 800)
        #expect(WatchSchedule(targets: [], interval: 100, now: 0).nextDue == nil)
    }

    static func report(id: UInt64, client: Endpoint, server: Endpoint) -> SessionReport {
        SessionReport(session: TLSSession(id: id, start: Timestamp(seconds: 1, nanoseconds: 0),
                                          end: Timestamp(seconds: 2, nanoseconds: 0), client: client, server: server),
                      findings: [])
    }

    @Test func captureKeepsOnlySessionsToServersBeingProbed() throws {
        let sightings = PathSightings()
        let server = Endpoint(address: try #require(HostAddress.parse("127.0.0.1")), port: 8443)
        let other = Endpoint(address: try #require(HostAddress.parse("127.0.0.1")), port: 9443)
        let client = Endpoint(address: try #require(HostAddress.parse("127.0.0.1")), port: 40_000)
        sightings.observe(Self.report(id: 1, client: client, server: server))  // nothing expected yet
        #expect(sightings.take(client: client) == nil)
        sightings.expect(server)
        sightings.observe(Self.report(id: 2, client: client, server: other))
        #expect(sightings.take(client: client) == nil)
        sightings.observe(Self.report(id: 3, client: client, server: server))
        #expect(sightings.take(client: client)?.sessionID == 3)
        #expect(sightings.take(client: client) == nil)  // once
        sightings.stopExpecting(server)
        sightings.observe(Self.report(id: 4, client: client, server: server))
        #expect(sightings.take(client: client) == nil)
    }
}
