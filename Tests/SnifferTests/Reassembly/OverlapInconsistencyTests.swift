import TestSupport
import Sniffer
import Testing

/// Overlapping TCP copies that disagree: the first copy delivered wins (the chain examined), and
/// the disagreement is counted wherever both copies are in memory — against held segments byte
/// by byte, against the last four delivered segments by hash — globally and in the session.
@Suite struct OverlapInconsistencyTests {
    typealias Handshake = ReassemblyEdgeCaseTests.Handshake

    /// SYNs, the ClientHello, then the server flight as `server` arranges its 500-byte pieces.
    static func run(_ arrange: (SegmentScript, [SegmentScript.Segment]) -> [SegmentScript.Segment])
        throws -> (session: TLSSession?, counters: Counters, handshake: Handshake) {
        let h = try ReassemblyEdgeCaseTests.handshake()
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(h.client, fromClient: true, size: 1460)
        script.segments += arrange(script, script.cut(h.server, fromClient: false, size: 500))
        let result = script.run()
        #expect(result.sessions.count == 1)
        return (result.sessions.first, result.counters, h)
    }

    static func flipped(_ segment: SegmentScript.Segment, _ range: Range<Int>) -> SegmentScript.Segment {
        var copy = segment
        for index in range { copy.payload[index] ^= 0xff }
        return copy
    }

    static func chain(_ session: TLSSession?) -> [String]? { session?.serverChain?.fingerprints.map(\.description) }

    @Test func identicalRetransmissionsAreNotInconsistent() throws {
        let r = try Self.run { _, server in server.flatMap { [$0, $0] } }
        #expect(Self.chain(r.session) == r.handshake.expected)
        #expect(r.counters[.segmentsRetransmitted] > 0)
        #expect(r.counters[.overlapInconsistentBytes] == 0)
        #expect(r.counters[.segmentsOverlapInconsistent] == 0)
        #expect(r.session?.overlapInconsistentBytes == 0)
    }

    @Test func retransmissionOfADeliveredSegmentWithOtherBytesIsCounted() throws {
        // Segment 3 lies inside the Certificate message; its second copy changes 40 bytes.
        let r = try Self.run { _, server in
            var out = Array(server[0...3])
            out.append(Self.flipped(server[3], 100..<140))
            return out + server[4...]
        }
        #expect(Self.chain(r.session) == r.handshake.expected)  // the first copy won
        // Only a hash of the delivered copy is kept: the whole recorded segment is counted.
        #expect(r.counters[.overlapInconsistentBytes] == 500)
        #expect(r.counters[.segmentsOverlapInconsistent] == 1)
        #expect(r.session?.overlapInconsistentBytes == 500)
        #expect(r.session?.overlapInconsistentSegments == 1)
    }

    @Test func aRetransmissionCoveringSeveralDeliveredSegmentsCountsEachThatDiffers() throws {
        // Segments 2, 3, 4 delivered; one coalesced copy of all three differs in 2 and 4 only.
        let r = try Self.run { _, server in
            var merged = server[2]
            merged.payload += server[3].payload + server[4].payload
            merged = Self.flipped(merged, 10..<20)
            merged = Self.flipped(merged, 1200..<1210)
            return Array(server[0...4]) + [merged] + server[5...]
        }
        #expect(Self.chain(r.session) == r.handshake.expected)
        #expect(r.counters[.overlapInconsistentBytes] == 1000)
        #expect(r.counters[.segmentsOverlapInconsistent] == 1)
    }

    @Test func twoDifferentCopiesOfAHeldSegmentAreComparedByteByByte() throws {
        // Segment 3 arrives before segment 2 (held), then a second copy of it with 25 bytes changed.
        let r = try Self.run { _, server in
            var out = Array(server[0...1])
            out += [server[3], Self.flipped(server[3], 200..<225), server[2]]
            return out + server[4...]
        }
        #expect(Self.chain(r.session) == r.handshake.expected)  // ties go to the earlier arrival
        #expect(r.counters[.overlapInconsistentBytes] == 25)
        #expect(r.counters[.segmentsOverlapInconsistent] == 1)
        #expect(r.session?.overlapInconsistentBytes == 25)
    }

    @Test func anInOrderSegmentOverAHeldCopyWinsAndIsCompared() throws {
        // An altered copy of segment 3 is held; then segment 2 arrives extended over segment 3's
        // range with the real bytes. It is delivered at once, so it wins; 30 bytes differed.
        let r = try Self.run { _, server in
            var extended = server[2]
            extended.payload += server[3].payload
            return Array(server[0...1]) + [Self.flipped(server[3], 0..<30), extended] + server[4...]
        }
        #expect(Self.chain(r.session) == r.handshake.expected)
        #expect(r.counters[.overlapInconsistentBytes] == 30)
        #expect(r.counters[.segmentsOverlapInconsistent] == 1)
    }

    @Test func theFirstCopyDeliveredWinsEvenWhenItIsTheDecoy() throws {
        // What an attacker would do to show the monitor another chain: the altered copy first.
        // The chain examined is the altered one, and the session record says copies differed.
        let r = try Self.run { _, server in
            var out = Array(server[0...2])
            out += [Self.flipped(server[3], 300..<310), server[3]]
            return out + server[4...]
        }
        #expect(Self.chain(r.session) != r.handshake.expected)
        #expect(r.session?.overlapInconsistentBytes == 500)
        #expect(r.counters[.segmentsOverlapInconsistent] == 1)
    }

    @Test func whatCannotBeCheckedIsNotCounted() throws {
        // A copy covering only part of a delivered segment, and a copy of a segment delivered
        // more than four segments ago: neither can be compared (documented limits).
        let r = try Self.run { _, server in
            #expect(server.count >= 9)  // the flight's last segment (ServerHelloDone) ends the tracking
            var partial = server[3]
            partial.sequence &+= 100
            partial.payload = Array(partial.payload[100...])
            var out = Array(server[0...3]) + [Self.flipped(partial, 0..<10)]
            out += server[4...7]
            out.append(Self.flipped(server[1], 0..<10))  // six segments delivered since
            return out + server[8...]
        }
        #expect(Self.chain(r.session) == r.handshake.expected)
        #expect(r.counters[.segmentsRetransmitted] >= 2)
        #expect(r.counters[.overlapInconsistentBytes] == 0)
    }

    // MARK: Certificates per chain

    static func chainOf(_ count: Int, limits: SnifferLimits = SnifferLimits())
        throws -> (session: TLSSession?, counters: Counters, first: [String]) {
        let real = try TLSBytes.indicatorCertificates(2)
        // Small distinct DER-shaped entries after two real certificates.
        let filler = (0..<count - 2).map { index in [0x30, 0x06] + SegmentScript.u32(UInt32(index)) + [0, 0] }
        let server = TLSBytes.record(22, TLSBytes.serverHello())
            + TLSBytes.records(22, TLSBytes.certificate(real + filler)) + TLSBytes.record(22, TLSBytes.serverHelloDone)
        var script = SegmentScript()
        script.handshake()
        script.segments += script.cut(TLSBytes.record(22, TLSBytes.clientHello(sni: "many.example")), fromClient: true,
                                      size: 1460)
        script.segments += script.cut(server, fromClient: false, size: 1460)
        let result = script.run(limits: limits)
        #expect(result.sessions.count == 1)
        return (result.sessions.first, result.counters, try real.map(TLSBytes.opensslSHA256))
    }

    @Test func aChainLongerThanTheCapIsCutAndMarkedTruncated() throws {
        let r = try Self.chainOf(10_000)
        let chain = try #require(r.session?.serverChain)
        #expect(chain.fingerprints.count == 64)
        #expect(chain.isTruncated)
        #expect(Array(chain.fingerprints.prefix(2).map(\.description)) == r.first)
        #expect(r.counters[.dropChainCertificatesOverCap] == 10_000 - 64)
        #expect(r.counters[.certificates] == 64)
        #expect(r.counters[.dropCertificateMessageOverCap] == 0)
    }

    @Test func theCapIsALimit() throws {
        var limits = SnifferLimits()
        limits.reassembly.maxCertificatesPerChain = 3
        let r = try Self.chainOf(5, limits: limits)
        #expect(r.session?.serverChain?.fingerprints.count == 3)
        #expect(r.session?.serverChain?.isTruncated == true)
        #expect(r.counters[.dropChainCertificatesOverCap] == 2)
        limits.reassembly.maxCertificatesPerChain = 5
        let exact = try Self.chainOf(5, limits: limits)
        #expect(exact.session?.serverChain?.fingerprints.count == 5)
        #expect(exact.session?.serverChain?.isTruncated == false)
        #expect(exact.counters[.dropChainCertificatesOverCap] == 0)
    }
}
