import Detector
@testable import Sniffer
import TestSupport
import Testing

/// The open-addressing flow index against a Dictionary, through random inserts and removals
/// (removal by backward shift is where such tables go wrong).
@Suite struct FlowIndexTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func agreesWithADictionaryThroughRandomChurn(seed: UInt64) {
        var random = SeededGenerator(state: seed)
        var index = FlowIndex(initialCapacity: 16)
        var model: [Int32: UInt64] = [:]  // slot → hash
        var nextSlot: Int32 = 0
        // Few distinct hash values, so probe runs are long and wrap around the table.
        func hash() -> UInt64 { random.next() & 0xFFFF_FFFF_0000_003F }
        for _ in 0..<20_000 {
            if model.isEmpty || random.next() % 3 != 0 {
                let h = hash()
                index.insert(h, slot: nextSlot)
                model[nextSlot] = h
                nextSlot += 1
            } else {
                let victim = model.keys.randomElement(using: &random)!
                index.remove(model[victim]!, slot: victim)
                model[victim] = nil
            }
            #expect(index.count == model.count)
        }
        for (slot, h) in model {
            #expect(index.find(h) { $0 == slot } == slot)
        }
        // Removed slots are gone.
        for slot in 0..<nextSlot where model[slot] == nil {
            #expect(index.find(UInt64(slot)) { $0 == slot } == nil)
        }
    }

    @Test func holdsAMillionFlowsInSixteenMegabytes() {
        var index = FlowIndex()
        var random = SeededGenerator(state: 7)
        for slot in 0..<Int32(1_000_000) { index.insert(random.next(), slot: slot) }
        #expect(index.count == 1_000_000)
        #expect(index.bytes <= 16 << 20)
    }
}

/// What a connection costs while it is only an entry, and while its handshake is followed.
@Suite struct FlowStateSizeTests {
    @Test func aFlowEntryIsSmallAndFixedSize() {
        // Key (two addresses, two ports: 36 bytes), 32 bits of hash, id, time, tracker index,
        // SYN sequence numbers, flags.
        #expect(MemoryLayout<Flow>.stride <= 72)
    }

    /// What following one handshake costs in fixed-size state, outside the buffers (partial
    /// records, held segments, the hellos' lists, the chain's fingerprints, which are charged to
    /// the memcap as they are made): the flow entry, its tracker from the pool, its recency links,
    /// its free-list slots and its share of the index at the lowest load (a quarter full). The
    /// ServerHello's profile (extension types, ALPN: 24 bytes inline) is kept for the history
    /// rules (`server-profile-change`).
    @Test func followedHandshakeStateIsBounded() {
        #expect(MemoryLayout<StreamReassembler>.stride <= 80)
        #expect(MemoryLayout<TLSStreamParser>.stride <= 40)
        #expect(MemoryLayout<HandshakeState>.stride <= 144)
        #expect(MemoryLayout<FlowTracker>.stride <= 384)
        #expect(FlowTable.trackerBytes == MemoryLayout<FlowTracker>.stride)
        #expect(FlowTable.fixedBytesPerFollowedHandshake
            == MemoryLayout<Flow>.stride + MemoryLayout<FlowTracker>.stride + 4 * MemoryLayout<Int32>.stride + 4 * 8)
        #expect(FlowTable.fixedBytesPerFollowedHandshake <= 504)
        #expect(Pipeline<SessionsOnlyObserver>.fixedBytesPerFollowedHandshake == FlowTable.fixedBytesPerFollowedHandshake)
    }

    @Test func halfOpenFlowsHoldNoTracker() {
        let script = SegmentScript()
        var pipeline = Pipeline(observer: SessionsOnlyObserver { _ in })
        for port in UInt16(20000)..<UInt16(22000) {
            let syn = SegmentScript.Segment(fromClient: true, sequence: 1, acknowledgment: 0, flags: SegmentScript.syn,
                                            payload: [], clientPort: port)
            let bytes = script.frame(syn)
            pipeline.process(frame: bytes.span, originalLength: bytes.count, linkType: .raw,
                             at: Timestamp(seconds: 1_700_000_000, nanoseconds: Int64(port)))
        }
        #expect(pipeline.activeFlows == 2000)
        #expect(pipeline.trackedFlows == 0)
        // Entries, recency links and index only: no handshake state for flows that sent no data.
        #expect(pipeline.flowTableBytes / 2000 <= 400)
        pipeline.finish()
        #expect(pipeline.activeFlows == 0)
    }
}
