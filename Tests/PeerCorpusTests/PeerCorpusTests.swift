import Detector
import Foundation
import Sniffer
import Testing

/// Walks every capture of the peer corpus (Zeek, Suricata, nDPI and Arkime test suites; see
/// `../shared/corpus/peers/README.md`) and requires, for every TCP connection the oracle lists,
/// the same server and client certificate chains (SHA-256 per certificate, in order), the same
/// SNI and the same negotiated version. Prints a per-file table.
///
/// Where we believe the oracle is wrong, `PeerCorpus.disagreements` says why and the test
/// asserts our own (different) answer instead of skipping the connection.
@Suite struct PeerCorpusTests {
    @Test func everyCaptureMatchesThePeerOracle() throws {
        let corpus = try PeerCorpus.load()
        var table: [String] = []
        var totals = (connections: 0, matched: 0, disagreementsUpheld: 0, outOfScope: 0)
        var failures: [String] = []

        for capture in corpus.captures {
            let sessions = try PeerCorpus.run(corpus.root + "/" + capture.file)
            var matched = 0, upheld = 0, outOfScope = 0, problems: [String] = []
            var used = Set<UInt64>()
            for connection in capture.connections {
                guard connection.transport == "tcp" else {
                    outOfScope += 1  // DTLS over UDP: not in scope yet
                    continue
                }
                totals.connections += 1
                let session = sessions.first {
                    ($0.client.description == connection.client && $0.server.description == connection.server)
                        || ($0.client.description == connection.server && $0.server.description == connection.client)
                }
                if let session { used.insert(session.id) }
                let key = "\(capture.file) \(connection.client)"
                if let disagreement = PeerCorpus.disagreements[key] {
                    if let problem = disagreement.check(session) {
                        problems.append("\(connection.client)→\(connection.server): ours no longer as documented: \(problem)")
                    } else {
                        upheld += 1
                    }
                    continue
                }
                if let problem = PeerCorpus.compare(connection, session) {
                    problems.append("\(connection.client)→\(connection.server): \(problem)")
                } else {
                    matched += 1
                }
            }
            // A session the oracle does not know of is a false TLS detection.
            for session in sessions where !used.contains(session.id) {
                problems.append("unexpected session \(session.client.description)→\(session.server.description)")
            }
            totals.matched += matched
            totals.disagreementsUpheld += upheld
            totals.outOfScope += outOfScope
            let tcpCount = capture.connections.filter { $0.transport == "tcp" }.count
            var row = "\(capture.file.padding(toLength: 72, withPad: " ", startingAt: 0)) tcp \(tcpCount) matched \(matched)"
            if upheld > 0 { row += " oracle-disputed \(upheld)" }
            if outOfScope > 0 { row += " udp-out-of-scope \(outOfScope)" }
            if !problems.isEmpty { row += " FAIL" }
            table.append(row)
            failures += problems.map { "\(capture.file): \($0)" }
        }
        print(table.joined(separator: "\n"))
        print("peer corpus: \(corpus.captures.count) captures, \(totals.connections) TCP connections, "
              + "\(totals.matched) match the oracle, \(totals.disagreementsUpheld) where the oracle is disputed "
              + "(see PeerCorpus.disagreements), \(totals.outOfScope) UDP/DTLS connections out of scope")
        #expect(corpus.captures.count == 236)
        #expect(failures.isEmpty, "\(failures.count) mismatches:\n\(failures.joined(separator: "\n"))")
        #expect(totals.matched + totals.disagreementsUpheld == totals.connections)
    }

    @Test func noCaptureMakesTheSnifferHoldMemoryPastItsCaps() throws {
        let corpus = try PeerCorpus.load()
        var limits = SnifferLimits()
        limits.reassembly.maxFlowBytes = 64 << 10
        limits.reassembly.memcap = 256 << 10
        for capture in corpus.captures {
            let file = try PcapFile(path: corpus.root + "/" + capture.file)
            var pipeline = Pipeline(limits: limits, observer: SessionsOnlyObserver { _ in })
            _ = file.forEachPacket { frame, length, time, linkType in
                pipeline.process(frame: frame, originalLength: length, linkType: linkType, at: time)
            }
            #expect(pipeline.reassemblyPeakBytes <= limits.reassembly.memcap, "\(capture.file)")
            pipeline.finish()
            #expect(pipeline.reassemblyBytes == 0, "\(capture.file): buffers not released at the end")
        }
    }
}
