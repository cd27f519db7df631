import TestSupport
import Sniffer
import Testing

/// The flow table stays within its bounds and reports what it had to let go.
@Suite struct FlowTableTests {
    static func connection(port: UInt16, handshake: ReassemblyEdgeCaseTests.Handshake) -> [SegmentScript.Segment] {
        var script = SegmentScript()
        script.client.1 = port
        script.handshake()
        script.segments += script.cut(handshake.client, fromClient: true, size: 1460)
        return script.segments
    }

    @Test func evictsTheLeastRecentlyActiveFlowWhenFull() throws {
        let h = try ReassemblyEdgeCaseTests.handshake()
        var script = SegmentScript()
        for port in UInt16(40000)..<40010 { script.segments += Self.connection(port: port, handshake: h) }
        var limits = SnifferLimits()
        limits.flows.maxFlows = 4
        let result = script.run(limits: limits)
        #expect(result.counters[.dropFlowTableFull] == 6)
        #expect(result.counters[.flowsCreated] == 10)
        // Every connection sent a ClientHello, so each is reported, evicted or not.
        #expect(result.sessions.count == 10)
        #expect(result.sessions.filter { $0.endedBy == .evicted }.count == 6)
        #expect(result.sessions.allSatisfy { $0.serverName == "www.bank.example" && $0.unobservedReason == .serverNotSeen })
    }

    @Test func expiresIdleFlowsByCaptureTime() throws {
        let h = try ReassemblyEdgeCaseTests.handshake()
        var script = SegmentScript()
        script.segments = Self.connection(port: 40000, handshake: h) + Self.connection(port: 40001, handshake: h)
        var limits = SnifferLimits()
        limits.flows.idleTimeoutSeconds = 5
        let result = script.run(limits: limits, step: 2_000_000_000)  // 2 s between segments
        #expect(result.counters[.flowsEvictedIdle] >= 1)
        #expect(result.sessions.contains { $0.endedBy == .idleTimeout })
    }

    @Test func memcapBoundsHeldSegmentsAcrossFlows() throws {
        // Many connections each with an early hole and lots of data behind it.
        let h = try ReassemblyEdgeCaseTests.handshake()
        var script = SegmentScript()
        for port in UInt16(41000)..<41040 {
            var flow = SegmentScript()
            flow.client.1 = port
            flow.handshake()
            var server = flow.cut(h.server, fromClient: false, size: 100)
            server.removeFirst()
            script.segments += flow.segments + server
        }
        var limits = SnifferLimits()
        limits.reassembly.memcap = 32 << 10
        let result = script.run(limits: limits)
        #expect(result.peak <= 32 << 10)
        // Room is made by evicting the least recently active flows (their sessions end
        // `evicted`), not by refusing the newest flow's segments.
        #expect(result.counters[.dropMemcapEviction] > 0)
    }
}
