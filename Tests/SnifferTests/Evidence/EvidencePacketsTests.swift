import Certificates
import Foundation
import Sniffer
import Testing

/// The frames a followed flow keeps for evidence: written as a pcap and read again, they give
/// the same session; the limits and the memcap hold and never change what is detected.
@Suite struct EvidencePacketsTests {
    /// Sessions with the frames handed over with them.
    struct Recording: TLSObserver {
        final class Box { var ended: [(TLSSession, CapturedPackets?)] = [] }
        let box = Box()
        mutating func certificates(
            _ chain: borrowing CertificateChainView, known: [KnownCertificate], from sender: EndpointRole,
            session: borrowing TLSSession, at time: Timestamp
        ) -> (any SessionAnnotation)? { nil }
        mutating func sessionEnded(_ session: TLSSession) { box.ended.append((session, nil)) }
        mutating func sessionEnded(_ session: TLSSession, packets: CapturedPackets) { box.ended.append((session, packets)) }
    }

    static func read(_ path: String, evidence: EvidenceLimits) throws -> (Recording.Box, Pipeline<Recording>) {
        let observer = Recording()
        var limits = SnifferLimits()
        limits.evidence = evidence
        var pipeline = Pipeline(limits: limits, observer: observer)
        let file = try PcapFile(path: path)
        _ = file.forEachPacket { frame, length, time, linkType in
            pipeline.process(frame: frame, originalLength: length, linkType: linkType, at: time)
        }
        pipeline.finish()
        return (observer.box, pipeline)
    }

    static func write(_ packets: CapturedPackets) throws -> String {
        let path = NSTemporaryDirectory() + "evidence-\(UUID().uuidString).pcap"
        try Data(PcapWriter.file(packets)).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: RealStackCaptureTests.fixtures)
    func eachSessionsFramesReadAgainGiveTheSameSession(_ name: String) throws {
        let (box, pipeline) = try Self.read(RealStackCaptureTests.directory + "/" + name + ".pcap",
                                            evidence: .bundles)
        #expect(!box.ended.isEmpty)
        #expect(pipeline.evidenceBytes == 0, "every kept frame is handed over or let go")
        for (session, packets) in box.ended {
            let packets = try #require(packets)
            #expect(!packets.isEmpty)
            let path = try Self.write(packets)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let (again, _) = try Self.read(path, evidence: EvidenceLimits())
            #expect(again.ended.count == 1, "\(name): \(session.client) → \(session.server)")
            guard let replayed = again.ended.first?.0 else { continue }
            #expect(replayed.client == session.client && replayed.server == session.server)
            #expect(replayed.serverName == session.serverName)
            #expect(replayed.version == session.version)
            #expect(replayed.serverChain == session.serverChain)
            #expect(replayed.clientChain == session.clientChain)
            #expect(replayed.unobservedReason == session.unobservedReason)
            if session.endedBy == .handshakeComplete {
                // The frame that completed the handshake is in the evidence too.
                #expect(replayed.endedBy == .handshakeComplete, "\(name)")
            }
        }
    }

    @Test func theFlowLimitAndTheMemcapLeaveFramesOutAndNothingElse() throws {
        let path = RealStackCaptureTests.directory + "/kz-interception-tls12.pcap"
        let (plain, _) = try Self.read(path, evidence: EvidenceLimits())
        let (few, fewPipeline) = try Self.read(path, evidence: EvidenceLimits(maxPacketsPerFlow: 2))
        let (none, nonePipeline) = try Self.read(path, evidence: EvidenceLimits(maxPacketsPerFlow: 48, memcap: 10))
        #expect(plain.ended.allSatisfy { $0.1 == nil })
        for box in [few, none] {
            #expect(box.ended.map(\.0.serverChain) == plain.ended.map(\.0.serverChain))
            #expect(box.ended.map(\.0.endedBy) == plain.ended.map(\.0.endedBy))
        }
        #expect(few.ended.allSatisfy { ($0.1?.packets.count ?? 0) <= 2 && ($0.1?.framesLeftOut ?? 0) > 0 })
        #expect(fewPipeline.evidenceCounts.framesOverFlowLimit > 0)
        #expect(none.ended.allSatisfy { $0.1?.isEmpty == true })
        #expect(nonePipeline.evidenceCounts.framesOverMemcap > 0 && nonePipeline.evidenceCounts.framesKept == 0)
    }
}
