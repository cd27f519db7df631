import TestSupport
import Sniffer
import Testing

/// TCP reassembly edge cases, played as crafted segments through the whole pipeline. The
/// handshake carries real certificates; the expected fingerprints come from `openssl dgst`.
@Suite struct ReassemblyEdgeCaseTests {
    struct Handshake {
        var client: [UInt8]
        var server: [UInt8]
        var chain: [[UInt8]]
        var expected: [String]
    }

    /// ClientHello | ServerHello, Certificate (3 real certificates), ServerHelloDone — each its
    /// own record unless `oneRecord`, the Certificate message split over records of `fragment`.
    static func handshake(fragment: Int = 16384, oneRecord: Bool = false) throws -> Handshake {
        let chain = try TLSBytes.indicatorCertificates(3)
        let client = TLSBytes.record(22, TLSBytes.clientHello(sni: "www.bank.example"))
        let messages = [TLSBytes.serverHello(), TLSBytes.certificate(chain), TLSBytes.serverHelloDone]
        let server = oneRecord
            ? TLSBytes.records(22, messages.flatMap { $0 })
            : TLSBytes.record(22, messages[0]) + TLSBytes.records(22, messages[1], maxFragment: fragment)
                + TLSBytes.record(22, messages[2])
        return Handshake(client: client, server: server, chain: chain,
                         expected: try chain.map(TLSBytes.opensslSHA256))
    }

    static func onlySession(_ result: (sessions: [TLSSession], counters: Counters, peak: Int)) -> TLSSession? {
        #expect(result.sessions.count == 1)
        return result.sessions.first
    }

    static func chain(_ session: TLSSession?) -> [String]? {
        session?.serverChain?.fingerprints.map(\.description)
    }

    @Test func inOrderLargeSegments() throws {
        let h = try Self.handshake()
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(h.client, fromClient: true, size: 1460)
        script.segments += script.cut(h.server, fromClient: false, size: 1460)
        let session = Self.onlySession(script.run())
        #expect(Self.chain(session) == h.expected)
        #expect(session?.serverName == "www.bank.example")
        #expect(session?.version == .tls12)
        #expect(session?.rolesDecidedBy == .syn)
        #expect(session?.client.port == 50000)
        #expect(session?.endedBy == .handshakeComplete)
    }

    @Test func reorderedSegments() throws {
        let h = try Self.handshake()
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(h.client, fromClient: true, size: 1460)
        var generator = SeededGenerator(state: 7)
        script.segments += script.cut(h.server, fromClient: false, size: 536).shuffled(using: &generator)
        let result = script.run()
        #expect(Self.chain(Self.onlySession(result)) == h.expected)
        #expect(result.counters[.segmentsOutOfOrder] > 0)
        #expect(result.counters[.reassemblyGaps] == 0)
    }

    @Test func duplicatedSegments() throws {
        let h = try Self.handshake()
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(h.client, fromClient: true, size: 1460)
        script.segments += script.cut(h.server, fromClient: false, size: 700).flatMap { [$0, $0] }
        let result = script.run()
        #expect(Self.chain(Self.onlySession(result)) == h.expected)
        #expect(result.counters[.segmentsRetransmitted] > 0)
    }

    @Test func overlappingRetransmissionsKeepTheFirstCopy() throws {
        let h = try Self.handshake()
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(h.client, fromClient: true, size: 1460)
        // After each 1000-byte segment comes a retransmission starting 500 bytes into it and
        // reaching 500 bytes past it. Its first half (already delivered) is garbage and must
        // lose against the first copy; its second half is new and is used, so the next
        // original segment overlaps it in turn.
        let first = script.cut(h.server, fromClient: false, size: 1000)
        for (index, segment) in first.enumerated() {
            script.segments.append(segment)
            let start = index * 1000 + 500
            guard start < h.server.count else { continue }
            let end = min(h.server.count, start + 1000)
            var overlap = script.cut(Array(h.server[start..<end]), fromClient: false, size: 1000, startOffset: start)[0]
            for position in 0..<min(500, overlap.payload.count) { overlap.payload[position] ^= 0xff }
            script.segments.append(overlap)
        }
        let result = script.run()
        #expect(Self.chain(Self.onlySession(result)) == h.expected)
        #expect(result.counters[.overlapBytesTrimmed] > 0)
    }

    @Test func gapThenResynchronisesOnTheNextRecord() throws {
        let h = try Self.handshake()
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(h.client, fromClient: true, size: 1460)
        // Lose the middle of the ServerHello record; the client acknowledges everything (so the
        // hole will never be retransmitted) and the rest of the flight arrives.
        var server = script.cut(h.server, fromClient: false, size: 20)
        server.remove(at: 1)
        script.segments.append(server.removeFirst())
        script.segments.append(script.acknowledge(fromClient: true, upTo: h.server.count))
        script.segments += server
        let result = script.run()
        let session = Self.onlySession(result)
        #expect(Self.chain(session) == h.expected)
        #expect(session?.gaps == 1)
        #expect(result.counters[.reassemblyGaps] == 1)
        #expect(result.counters[.tlsResyncs] == 1)
    }

    @Test func gapInsideTheCertificateIsReportedNotGuessed() throws {
        let h = try Self.handshake()
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(h.client, fromClient: true, size: 1460)
        var server = script.cut(h.server, fromClient: false, size: 500)
        server.remove(at: 3)  // inside the Certificate message
        script.segments += server
        let session = Self.onlySession(script.run())
        #expect(session?.serverChain == nil)
        #expect(session?.unobservedReason == .captureGap)
        #expect(session?.version == .tls12)
    }

    @Test func sequenceNumbersWrapAround() throws {
        let h = try Self.handshake()
        var script = SegmentScript()
        script.clientISN = UInt32.max - 40
        script.serverISN = UInt32.max - 1500
        script.handshake()
        script.segments += script.cut(h.client, fromClient: true, size: 30)
        var generator = SeededGenerator(state: 11)
        script.segments += script.cut(h.server, fromClient: false, size: 512).shuffled(using: &generator)
        #expect(Self.chain(Self.onlySession(script.run())) == h.expected)
    }

    @Test func midStreamPickupWithoutSYN() throws {
        let h = try Self.handshake()
        var script = SegmentScript()
        script.segments += script.cut(h.client, fromClient: true, size: 1460)
        script.segments += script.cut(h.server, fromClient: false, size: 1460)
        let session = Self.onlySession(script.run())
        #expect(Self.chain(session) == h.expected)
        #expect(session?.client.port == 50000)
        #expect(session?.rolesDecidedBy == .clientHello)
    }

    @Test func serverFirstMidStreamStillFindsRoles() throws {
        let h = try Self.handshake()
        var script = SegmentScript()
        script.segments += script.cut(h.server, fromClient: false, size: 1460)
        let session = Self.onlySession(script.run())
        #expect(Self.chain(session) == h.expected)
        #expect(session?.server.port == 443)
        #expect(session?.rolesDecidedBy == .serverHello)
    }

    @Test func oneByteSegments() throws {
        let h = try Self.handshake()
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(h.client, fromClient: true, size: 1)
        script.segments += script.cut(h.server, fromClient: false, size: 1)
        #expect(Self.chain(Self.onlySession(script.run())) == h.expected)
    }

    @Test func certificateMessageOverManyRecords() throws {
        let h = try Self.handshake(fragment: 333)
        #expect(h.server.count > 3 * 333)
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(h.client, fromClient: true, size: 1460)
        script.segments += script.cut(h.server, fromClient: false, size: 1460)
        let result = script.run()
        #expect(Self.chain(Self.onlySession(result)) == h.expected)
        #expect(result.counters[.tlsRecords] >= 6)
    }

    @Test func severalMessagesInOneRecord() throws {
        let h = try Self.handshake(oneRecord: true)
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(h.client, fromClient: true, size: 1460)
        script.segments += script.cut(h.server, fromClient: false, size: 1460)
        let result = script.run()
        #expect(Self.chain(Self.onlySession(result)) == h.expected)
        #expect(result.counters[.tlsRecords] == 2)
    }

    @Test func plaintextPreludeBeforeTLS() throws {
        let h = try Self.handshake()
        var script = SegmentScript()
        script.server.1 = 25
        script.handshake()
        let banner = Array("220 mail.example ESMTP\r\n250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n".utf8)
        let command = Array("EHLO client.example\r\nSTARTTLS\r\n".utf8)
        script.segments += script.cut(command + h.client, fromClient: true, size: 1460)
        script.segments += script.cut(banner + h.server, fromClient: false, size: 1460)
        let session = Self.onlySession(script.run())
        #expect(Self.chain(session) == h.expected)
        #expect(session?.clientPreludeBytes == command.count)
    }

    @Test func handshakeLargerThanTheFlowCapIsReportedTruncated() throws {
        // A chain padded past the cap with a huge bogus certificate at its end: the leaf and
        // intermediate must still be reported, with the chain marked truncated.
        let real = try TLSBytes.indicatorCertificates(2)
        let padding = [UInt8](repeating: 0x30, count: 200_000)
        let certificate = TLSBytes.certificate(real + [padding])
        let server = TLSBytes.record(22, TLSBytes.serverHello()) + TLSBytes.records(22, certificate)
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(TLSBytes.record(22, TLSBytes.clientHello(sni: "a.example")), fromClient: true, size: 1460)
        script.segments += script.cut(server, fromClient: false, size: 1460)
        var limits = SnifferLimits()
        limits.reassembly.maxFlowBytes = 64 << 10
        let result = script.run(limits: limits)
        let session = Self.onlySession(result)
        #expect(Self.chain(session) == (try real.map(TLSBytes.opensslSHA256)))
        #expect(session?.serverChain?.isTruncated == true)
        #expect(result.counters[.dropCertificateMessageOverCap] == 1)
        #expect(result.peak <= 64 << 10 + 20_000)
    }

    @Test func tls13ChainIsMarkedNotObservable() throws {
        var script = SegmentScript()
        script.handshake()
        let client = TLSBytes.record(22, TLSBytes.clientHello(sni: "x.example", supportedVersions: [0x0304, 0x0303]))
        let server = TLSBytes.record(22, TLSBytes.serverHello(supportedVersion: 0x0304))
            + TLSBytes.record(20, [1]) + TLSBytes.record(23, [UInt8](repeating: 0x5a, count: 3000))
        script.segments += script.cut(client, fromClient: true, size: 1460)
        script.segments += script.cut(server, fromClient: false, size: 1460)
        let result = script.run()
        let session = Self.onlySession(result)
        #expect(session?.version == .tls13)
        #expect(session?.serverChain == nil)
        #expect(session?.unobservedReason == .tls13Encrypted)
        #expect(result.counters[.flowsBypassed] == 1)
        #expect(result.counters[.segmentsInBypassedFlows] >= 2)
    }

    @Test func serverFlightSeenBeforeTheClientHelloStillGetsTheSNI() throws {
        for tls13 in [true, false] {
            let h = try Self.handshake()
            var script = SegmentScript()
            script.handshake()
            let client = TLSBytes.record(22, TLSBytes.clientHello(sni: "late.example", supportedVersions: [0x0304]))
            let server = tls13 ? TLSBytes.record(22, TLSBytes.serverHello(supportedVersion: 0x0304)) : h.server
            script.segments += script.cut(server, fromClient: false, size: 1460)  // captured first
            script.segments += script.cut(client, fromClient: true, size: 1460)
            let session = Self.onlySession(script.run())
            #expect(session?.serverName == "late.example")
            #expect(session?.endedBy == .handshakeComplete)
            if !tls13 { #expect(Self.chain(session) == h.expected) }
        }
    }

    @Test func holeLeftAtTheEndIsFlushedAsAGap() throws {
        let h = try Self.handshake()
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(h.client, fromClient: true, size: 1460)
        var server = script.cut(h.server, fromClient: false, size: 30)
        server.remove(at: 0)  // the ServerHello's first bytes never arrive, and nothing acks them
        script.segments += server
        let result = script.run()
        let session = Self.onlySession(result)
        #expect(Self.chain(session) == h.expected)
        #expect(result.counters[.reassemblyGaps] == 1)
        #expect(session?.endedBy == .endOfCapture)
    }

    @Test func portReuseStartsANewSession() throws {
        let h = try Self.handshake()
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(h.client, fromClient: true, size: 1460)
        script.segments += script.cut(h.server, fromClient: false, size: 1460)
        var second = SegmentScript()
        second.clientISN = 900_000
        second.serverISN = 700_000
        second.handshake()
        second.segments += second.cut(h.client, fromClient: true, size: 1460)
        second.segments += second.cut(h.server, fromClient: false, size: 1460)
        script.segments += second.segments
        let result = script.run()
        #expect(result.sessions.count == 2)
        #expect(result.sessions.allSatisfy { Self.chain($0) == h.expected })
    }
}
