import Detector
import Foundation
import Sniffer
import Testing

/// Captures recorded from real TLS stacks (OpenSSL, GnuTLS, Python ssl) on loopback by
/// `scripts/make-real-captures.sh`. The truth files hold the SHA-256 of the certificate files
/// the servers were configured with — not anything parsed from the capture.
@Suite struct RealStackCaptureTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/real").path

    static var fixtures: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".pcap") }.map { String($0.dropLast(5)) }.sorted()
    }

    struct Truth {
        var client: String, server: String, sni: String?, version: String
        var serverChain: [String]?, clientChain: [String]?
    }

    static func truth(_ name: String) throws -> [Truth] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name + ".expected.json"))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        return (json["connections"] as? [[String: Any]] ?? []).map { c in
            Truth(client: c["client"] as? String ?? "", server: c["server"] as? String ?? "",
                  sni: c["sni"] as? String, version: c["version"] as? String ?? "",
                  serverChain: c["server_chain_sha256"] as? [String], clientChain: c["client_chain_sha256"] as? [String])
        }
    }

    @Test func fixturesArePresent() {
        #expect(Self.fixtures.count >= 11)
    }

    @Test(arguments: fixtures)
    func chainsMatchTheCertificatesTheServersSent(_ name: String) throws {
        let file = try PcapFile(path: Self.directory + "/" + name + ".pcap")
        var sessions: [TLSSession] = []
        var pipeline = Pipeline(observer: SessionsOnlyObserver { sessions.append($0) })
        let outcome = file.forEachPacket { frame, length, time, linkType in
            pipeline.process(frame: frame, originalLength: length, linkType: linkType, at: time)
        }
        pipeline.finish()
        #expect(outcome == .complete)
        let truths = try Self.truth(name)
        #expect(sessions.count == truths.count)
        for truth in truths {
            let session = sessions.first { $0.client.description == truth.client && $0.server.description == truth.server }
            #expect(session != nil, "\(name): no session \(truth.client) → \(truth.server)")
            guard let session else { continue }
            #expect(session.serverName == truth.sni)
            #expect(session.version?.ecsVersion == truth.version)
            #expect(session.serverChain?.fingerprints.map(\.description) == truth.serverChain)
            #expect(session.clientChain?.fingerprints.map(\.description) == truth.clientChain)
            if truth.serverChain == nil { #expect(session.unobservedReason == .tls13Encrypted) }
        }
        #expect(pipeline.counters.drops.isEmpty, "\(name): \(pipeline.counters.drops.map { "\($0.0.name)=\($0.1)" })")
    }
}
