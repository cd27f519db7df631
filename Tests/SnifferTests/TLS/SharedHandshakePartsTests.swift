import Certificates
@testable import Sniffer
import TestSupport
import Testing
import Wire

/// What the sniffer shares between sessions to avoid allocating per handshake (hello lists and
/// names, chains' fingerprint arrays, record buffers) gives every session its own values.
@Suite struct SharedHandshakePartsTests {
    private static func suites(_ values: [UInt16]) -> [UInt8] { values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] } }

    @Test func cipherSuiteListsAreTheParsedOnesWithoutGREASE() {
        var interner = HelloInterner()
        let plain: [UInt16] = [0xC02B, 0xC02F, 0x009C]
        for round in 0..<3 {
            // The same suites behind different GREASE values, then another list, then the first again.
            let grease = UInt16(0x0A0A + 0x1010 * round)
            let withGREASE = Self.suites([grease] + plain)
            #expect(interner.cipherSuites(ByteCursor(withGREASE.span)) == plain)
            let other = Self.suites([0x1301, 0x1302])
            #expect(interner.cipherSuites(ByteCursor(other.span)) == [0x1301, 0x1302])
            let odd = Self.suites(plain) + [0x13]  // a trailing odd byte is ignored, as before
            #expect(interner.cipherSuites(ByteCursor(odd.span)) == plain)
        }
    }

    @Test func protocolNamesAndServerNamesAreTheParsedOnes() {
        var interner = HelloInterner()
        let alpn: [UInt8] = [2] + Array("h2".utf8) + [8] + Array("http/1.1".utf8)
        let other: [UInt8] = [8] + Array("http/1.1".utf8)
        for _ in 0..<2 {
            #expect(interner.protocolNames(ByteCursor(alpn.span), limit: 16) == ["h2", "http/1.1"])
            #expect(interner.protocolNames(ByteCursor(alpn.span), limit: 1) == ["h2"])
            #expect(interner.protocolNames(ByteCursor(other.span), limit: 16) == ["http/1.1"])
        }
        let long = Array("static.example.com".utf8), short = Array("a.example".utf8)
        let invalid: [UInt8] = Array("bad.example.com.".utf8) + [0xff, 0xfe]
        for _ in 0..<2 {
            #expect(interner.serverName(ByteCursor(long.span)) == "static.example.com")
            #expect(interner.serverName(ByteCursor(short.span)) == "a.example")
            #expect(interner.serverName(ByteCursor(invalid.span)) == String(decoding: invalid, as: UTF8.self))
        }
    }

    @Test func aChainSharesFingerprintsOnlyWhenEveryCertificateMatches() {
        // Not certificates: each still has its own SHA-256, all the fingerprints are.
        func known(_ byte: UInt8) -> KnownCertificate {
            CertificateCache.examine([UInt8](repeating: byte, count: 16).span)
        }
        var chains = ChainFingerprints()
        let first = [known(1), known(2)], renewed = [known(1), known(3)], longer = [known(1), known(2), known(4)]
        for _ in 0..<2 {
            #expect(chains.fingerprints(of: first) == first.map(\.sha256))
            #expect(chains.fingerprints(of: renewed) == renewed.map(\.sha256))
            #expect(chains.fingerprints(of: longer) == longer.map(\.sha256))
        }
        let tooLong = (1...UInt8(ChainFingerprints.maxLength + 2)).map(known)
        #expect(chains.fingerprints(of: tooLong) == tooLong.map(\.sha256))
        #expect(chains.fingerprints(of: []) == [])
    }

    @Test func theRecordBufferPoolIsBounded() {
        var pool = RecordBufferPool()
        #expect(pool.take() == nil)
        for _ in 0..<(RecordBufferPool.maxBuffers + 10) {
            var buffer = [UInt8](repeating: 7, count: 1000)
            pool.give(&buffer)
            #expect(buffer.isEmpty && buffer.capacity == 0)
        }
        var large = [UInt8](repeating: 0, count: RecordBufferPool.maxCapacity + 1)
        pool.give(&large)
        var taken = 0
        while let buffer = pool.take() {
            #expect(buffer.isEmpty && buffer.capacity >= 1000 && buffer.capacity <= RecordBufferPool.maxCapacity)
            taken += 1
        }
        #expect(taken == RecordBufferPool.maxBuffers)
        #expect(pool.bytes == 0)
    }

    /// A record buffer holds what arrived, not what the record's header declares: 2,000
    /// connections each declaring a 16 KiB ClientHello record and sending 20 bytes of it cost
    /// their trackers and about 20 bytes each against the memcap, not 16 KiB.
    @Test func aDeclaredLengthReservesNothingThatDidNotArrive() {
        var script = SegmentScript()
        var pipeline = Pipeline(observer: SessionsOnlyObserver { _ in })
        let start: [UInt8] = [0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00, 0x3f, 0xfc, 0x03, 0x03] + [UInt8](repeating: 0x42, count: 9)
        let flows = 2000
        for index in 0..<flows {
            script.client.1 = UInt16(20000 + index)
            script.segments = []
            script.handshake()
            script.segments += script.cut(start, fromClient: true, size: start.count)
            for segment in script.segments {
                let bytes = script.frame(segment)
                pipeline.process(frame: bytes.span, originalLength: bytes.count, linkType: .raw,
                                 at: Timestamp(seconds: 1_700_000_000, nanoseconds: Int64(index)))
            }
        }
        #expect(pipeline.trackedFlows == flows)
        #expect(pipeline.reassemblyBytes <= flows * (Pipeline<SessionsOnlyObserver>.trackerBytes + 64))
        pipeline.finish()
        #expect(pipeline.reassemblyBytes == 0)
    }
}
