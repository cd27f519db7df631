import Detector
import TestSupport
import Sniffer
import Testing

/// What hostile traffic can make the sniffer hold, and what it lets go first: regression tests
/// for the ways a flood could blind it (pushing handshakes out of the flow table, filling the
/// memcap so new connections are not followed) or grow memory past the memcap.
@Suite struct MemoryPressureTests {
    /// A SYN from its own client port (a flood packet: no payload, so no handshake state).
    static func syn(port: UInt16) -> SegmentScript.Segment {
        SegmentScript.Segment(fromClient: true, sequence: UInt32(port) &* 7919, acknowledgment: 0,
                              flags: SegmentScript.syn, payload: [], clientPort: port)
    }

    @Test func aSYNFloodDoesNotPushAHandshakeInProgressOutOfTheTable() throws {
        let h = try ReassemblyEdgeCaseTests.handshake()
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(h.client, fromClient: true, size: 1460)
        var server = script.cut(h.server, fromClient: false, size: 1460)
        script.segments.append(server.removeFirst())
        // 200 new connections between two segments of the server's flight, 20 flows at most.
        for port in UInt16(20000)..<20200 { script.segments.append(Self.syn(port: port)) }
        script.segments += server
        var limits = SnifferLimits()
        limits.flows.maxFlows = 20
        let result = script.run(limits: limits)
        #expect(result.counters[.dropFlowTableFull] >= 180)
        let session = try #require(result.sessions.first)
        #expect(result.sessions.count == 1)
        #expect(session.serverChain?.fingerprints.map(\.description) == h.expected)
        #expect(session.endedBy == .handshakeComplete)
    }

    @Test func halfOpenConnectionsCannotKeepANewConnectionFromBeingFollowed() throws {
        // 400 connections that each send part of a ClientHello and stop, under a memcap that
        // holds about a quarter of them; then an ordinary handshake. The oldest half-open
        // connections are evicted to make room for it (before: `flow_state_memcap`, unseen).
        let h = try ReassemblyEdgeCaseTests.handshake()
        var script = SegmentScript()
        for port in UInt16(30000)..<30400 {
            var flow = SegmentScript()
            flow.client.1 = port
            flow.handshake()
            flow.segments += flow.cut(Array(h.client.prefix(40)), fromClient: true, size: 40)
            script.segments += flow.segments
        }
        var last = SegmentScript()
        last.client.1 = 31000
        last.handshake()
        last.segments += last.cut(h.client, fromClient: true, size: 1460)
        last.segments += last.cut(h.server, fromClient: false, size: 1460)
        script.segments += last.segments
        var limits = SnifferLimits()
        limits.reassembly.memcap = 96 << 10
        let result = script.run(limits: limits)
        #expect(result.peak <= 96 << 10)
        #expect(result.counters[.dropMemcapEviction] > 0)
        #expect(result.counters[.dropFlowStateMemcap] == 0)
        let session = try #require(result.sessions.first { $0.client.port == 31000 })
        #expect(session.serverChain?.fingerprints.map(\.description) == h.expected)
        #expect(session.endedBy == .handshakeComplete)
    }

    @Test func aClientHelloWithHugeListsCountsAgainstTheMemcap() throws {
        // 30,000 cipher suites (60 KB) are kept in the session's hello, off the reassembly
        // buffers: that memory is reserved from the memcap while the connection is followed.
        let suites = (0..<30_000).flatMap { TLSBytes.u16(0x1301 + $0 % 3) }
        let body = TLSBytes.u16(0x0303) + [UInt8](repeating: 0x11, count: 32) + [0] + TLSBytes.u16(suites.count)
            + suites + [1, 0] + TLSBytes.u16(0)
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(TLSBytes.records(22, TLSBytes.handshake(1, body)), fromClient: true, size: 1460)
        var pipeline = Pipeline(observer: SessionsOnlyObserver { _ in })
        for (index, segment) in script.segments.enumerated() {
            let frame = script.frame(segment)
            pipeline.process(frame: frame.span, originalLength: frame.count, linkType: .raw,
                             at: Timestamp(seconds: 1_700_000_000, nanoseconds: Int64(index)))
        }
        #expect(pipeline.counters[.clientHellos] == 1)
        #expect(pipeline.reassemblyBytes >= 60_000)
        pipeline.finish()
        #expect(pipeline.reassemblyBytes == 0)
    }

    @Test func sessionsThatNeverEndKeepABoundedAmountOfChainDER() throws {
        // Connections whose server sends an interception chain and never finishes its flight:
        // each session's alert waits for the connection to end, with the chain's DER. Past the
        // observer's bound only the leaf is kept, then nothing; the alerts still come.
        let chain = try TLSBytes.indicatorCertificates(3)
        let server = TLSBytes.record(22, TLSBytes.serverHello()) + TLSBytes.records(22, TLSBytes.certificate(chain))
        var script = SegmentScript()
        for port in UInt16(40000)..<40020 {
            var flow = SegmentScript()
            flow.client.1 = port
            flow.handshake()
            flow.segments += flow.cut(TLSBytes.record(22, TLSBytes.clientHello(sni: "pending.example")),
                                      fromClient: true, size: 1460)
            flow.segments += flow.cut(server, fromClient: false, size: 1460)
            script.segments += flow.segments
        }
        final class Collected { var reports: [SessionReport] = [] }
        let collected = Collected()
        let bound = 3 * chain.reduce(0) { $0 + $1.count }
        var pipeline = Pipeline(observer: DetectionObserver(indicators: IndicatorSet.builtIn()) {
            collected.reports.append($0)
        })
        for (index, segment) in script.segments.enumerated() {
            let frame = script.frame(segment)
            pipeline.process(frame: frame.span, originalLength: frame.count, linkType: .raw,
                             at: Timestamp(seconds: 1_700_000_000, nanoseconds: Int64(index)))
        }
        #expect(collected.reports.isEmpty)
        // What the 20 pending sessions keep for their alerts (the chain's DER among it) rides
        // with their flows and is charged to the one memcap: no second budget beside it.
        #expect(pipeline.reassemblyBytes >= 20 * bound / 3)
        pipeline.finish()
        #expect(pipeline.reassemblyBytes == 0)
        #expect(collected.reports.count == 20)
        #expect(collected.reports.allSatisfy { $0.findings.contains { $0.rule == .knownInterceptionCA } })
        #expect(collected.reports.contains { $0.serverChainDER.count == chain.count })
    }

    /// Connections whose server sends a chain of 64 small certificates and never finishes.
    static func unfinishedChains(_ count: Int) -> SegmentScript {
        var script = SegmentScript()
        for index in 0..<count {
            let certificates = (0..<64).map { [0x30, 0x06] + SegmentScript.u32(UInt32(index * 64 + $0)) + [0, 0] }
            var flow = SegmentScript()
            flow.client.1 = UInt16(42000 + index)
            flow.handshake()
            flow.segments += flow.cut(TLSBytes.record(22, TLSBytes.clientHello(sni: "stuck.example")), fromClient: true,
                                      size: 1460)
            flow.segments += flow.cut(TLSBytes.record(22, TLSBytes.serverHello() + TLSBytes.certificate(certificates)),
                                      fromClient: false, size: 1460)
            script.segments += flow.segments
        }
        return script
    }

    @Test func sessionsThatNeverEndKeepOnlyWhatTheMemcapCounts() throws {
        // Once, every such session kept its 64 parsed certificates in the observer until it
        // ended (~40 KB each, outside the memcap: 20,000 of them took 817 MiB).
        let script = Self.unfinishedChains(50)
        var pipeline = Pipeline(observer: DetectionObserver(indicators: IndicatorSet.builtIn()) { _ in })
        for (index, segment) in script.segments.enumerated() {
            let frame = script.frame(segment)
            pipeline.process(frame: frame.span, originalLength: frame.count, linkType: .raw,
                             at: Timestamp(seconds: 1_700_000_000, nanoseconds: Int64(index)))
        }
        #expect(pipeline.counters[.certificates] == 50 * 64)
        #expect(pipeline.counters[.malformedChains] == 50)
        // What the sessions keep (64 fingerprints each, and the malformed-chain finding with the
        // chain it describes) counts against the memcap.
        #expect(pipeline.reassemblyBytes >= 50 * 64 * 32)
        pipeline.finish()
        #expect(pipeline.reassemblyBytes == 0)
    }

    @Test func theMemcapBoundsSessionsThatKeepChains() throws {
        let script = Self.unfinishedChains(200)
        var limits = SnifferLimits()
        limits.reassembly.memcap = 128 << 10
        let result = script.run(limits: limits)
        #expect(result.peak <= 128 << 10)
        #expect(result.counters[.dropMemcapEviction] > 0)
        #expect(result.sessions.count == 200)
        #expect(result.sessions.allSatisfy { $0.serverChain?.fingerprints.count == 64 })
    }
}
