@testable import Daemon
import Detector
import Foundation
import Sniffer
import Testing

/// The parts of the daemon's follow-up probes that decide whether to probe: name exclusion, the
/// per-minute limit, the table of servers probed recently and the bounded queue.
@Suite struct FollowUpUnitTests {
    static func endpoint(_ last: UInt32, port: UInt16) -> Endpoint {
        Endpoint(address: IPAddress(ipv4: 0x0A00_0000 | last), port: port)
    }

    static func report(id: UInt64, port: UInt16, sni: String? = "www.example.org",
                       reason: UnobservedReason? = .tls13Encrypted) -> SessionReport {
        var session = TLSSession(id: id, start: Timestamp(seconds: 1), end: Timestamp(seconds: 2),
                                 client: endpoint(1, port: 40_000), server: endpoint(2, port: port))
        session.clientHellos = [ClientHello(offering: [.tls13, .tls12], serverName: sni, alpn: [])]
        session.unobservedReason = reason
        return SessionReport(session: session, findings: [])
    }

    @Test func exclusionMatchesTheNameAndNamesUnderItOnly() {
        let exclusion = FollowUpExclusion(["example.com", "*.Intranet.test."])
        #expect(exclusion.excludes("example.com"))
        #expect(exclusion.excludes("www.example.com"))
        #expect(exclusion.excludes("A.B.EXAMPLE.COM."))
        #expect(exclusion.excludes("intranet.test"))
        #expect(exclusion.excludes("wiki.intranet.test"))
        #expect(!exclusion.excludes("notexample.com"))
        #expect(!exclusion.excludes("example.com.evil.net"))
        #expect(!exclusion.excludes("example.co"))
        #expect(!exclusion.excludes(nil))
        #expect(!FollowUpExclusion([]).excludes("example.com"))
    }

    @Test func exclusionSuffixesMustBeNames() {
        #expect(FollowUpExclusion.normalized("Example.COM.") == "example.com")
        #expect(FollowUpExclusion.normalized("*.example.com") == "example.com")
        #expect(FollowUpExclusion.normalized(".example.com") == "example.com")
        for bad in ["", ".", "*", "a b.com", "ex*mple.com", "a..b", "é.example", String(repeating: "a", count: 64) + ".com"] {
            #expect(FollowUpExclusion.normalized(bad) == nil, "\(bad)")
        }
    }

    @Test func atMostTheLimitStartsInAnySixtySeconds() {
        var limit = FollowUpRateLimit(perMinute: 3)
        // The start at 0 no longer counts at 60; at 60.5, 1, 2 and 60 do.
        let times = [0, 1, 2, 3, 59.9, 60, 60.5, 61]
        #expect(times.map { limit.admit(now: $0) } == [true, true, true, false, false, true, false, true])

        // A flood, 20 offers a second for five minutes: no 60-second window holds more than 5.
        var flood = FollowUpRateLimit(perMinute: 5)
        var starts: [Double] = []
        for tick in 0..<6000 {
            let now = Double(tick) / 20
            if flood.admit(now: now) { starts.append(now) }
        }
        for (index, start) in starts.enumerated() {
            #expect(starts[index...].prefix { $0 < start + 60 }.count <= 5)
        }
        #expect(starts.count == 25)  // five per minute, all the while
    }

    @Test func aLowerLimitOnReloadKeepsTheLatestStarts() {
        var limit = FollowUpRateLimit(perMinute: 4)
        #expect([0.0, 10, 20, 30].map { limit.admit(now: $0) } == [true, true, true, true])
        limit.setLimit(2)
        // 20 and 30 are within the minute at 40; at 80, 20 is not.
        #expect([40.0, 80].map { limit.admit(now: $0) } == [false, true])
    }

    @Test func eachServerIsProbedOncePerPeriodAndTheTableIsBounded() {
        let a = FollowUpKey(server: Self.endpoint(2, port: 443), serverName: "a.example")
        let b = FollowUpKey(server: Self.endpoint(2, port: 443), serverName: "b.example")
        let otherPort = FollowUpKey(server: Self.endpoint(2, port: 8443), serverName: "a.example")
        var cache = FollowUpCache(capacity: 3)
        cache.record(a, now: 0, seconds: 100)
        #expect(cache.isFresh(a, now: 99, seconds: 100))
        #expect(!cache.isFresh(a, now: 100, seconds: 100))
        #expect(!cache.isFresh(b, now: 1, seconds: 100))
        #expect(!cache.isFresh(otherPort, now: 1, seconds: 100))

        // Four servers in a table of three: the one probed longest ago is forgotten.
        cache.record(b, now: 1, seconds: 100)
        cache.record(otherPort, now: 2, seconds: 100)
        cache.record(FollowUpKey(server: Self.endpoint(3, port: 443), serverName: nil), now: 3, seconds: 100)
        #expect(cache.count == 3)
        #expect(!cache.isFresh(a, now: 4, seconds: 100))
        #expect(cache.isFresh(b, now: 4, seconds: 100))

        // Expired entries go as new ones come; a key probed again keeps its latest time.
        cache.record(b, now: 150, seconds: 100)
        #expect(cache.count == 1)
        #expect(cache.isFresh(b, now: 249, seconds: 100))
        for index in 0..<10_000 {
            cache.record(FollowUpKey(server: Self.endpoint(UInt32(index), port: 443), serverName: nil),
                         now: 300 + Double(index), seconds: 100)
        }
        #expect(cache.count == 3)
    }

    @Test func theQueueTakesOnlyUnobservedSessionsAndDropsWhatDoesNotFit() {
        var settings = DaemonConfig.Probe()
        settings.followUnobserved = true
        settings.queue = 2
        let queue = FollowUpQueue(settings)
        queue.offer(Self.report(id: 1, port: 1001))
        queue.offer(Self.report(id: 2, port: 1002, reason: .noCertificateMessage))
        queue.offer(Self.report(id: 3, port: 1003))
        queue.offer(Self.report(id: 4, port: 1004, reason: .serverNotSeen))  // not one a probe helps with
        queue.offer(Self.report(id: 5, port: 1005, reason: nil))  // the chain was seen
        #expect(queue.counts.skipped[.queueFull] == 1)
        #expect(queue.take(waiting: 0)?.sessionID == 1)
        #expect(queue.take(waiting: 0)?.key == FollowUpKey(server: Self.endpoint(2, port: 1002), serverName: "www.example.org"))
        #expect(queue.take(waiting: 0.01) == nil)

        settings.followUnobserved = false
        queue.apply(settings)
        queue.offer(Self.report(id: 6, port: 1006))
        #expect(queue.take(waiting: 0.01) == nil)

        settings.followUnobserved = true
        settings.queue = 3
        queue.apply(settings)
        for id in 7...9 { queue.offer(Self.report(id: UInt64(id), port: 1000 + UInt16(id))) }
        settings.queue = 1
        queue.apply(settings)  // shrinking keeps the oldest, counts the rest
        #expect(queue.counts.skipped[.queueFull] == 3)
        #expect(queue.take(waiting: 0)?.sessionID == 7)
        queue.offer(Self.report(id: 10, port: 1010))
        queue.stop()
        #expect(queue.take(waiting: 0.01) == nil)
        #expect(queue.isStopping)
    }
}
