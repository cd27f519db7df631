import Detector
import Foundation
import Sniffer

/// The peer corpus manifest, and how our sessions are compared with it.
struct PeerCorpus {
    struct Capture {
        var file: String
        var connections: [Connection]
    }

    struct Connection {
        var transport: String
        var client: String
        var server: String
        /// A string, a list of strings (several ClientHellos that differ), or nil.
        var sni: [String]?
        var version: String?
        var serverChain: [String]?
        var clientChain: [String]?
    }

    var root: String
    var captures: [Capture]

    /// `../shared/corpus/peers` beside the project root, or `$MITMWATCH_SHARED/corpus/peers`.
    static func load() throws -> PeerCorpus {
        let shared = ProcessInfo.processInfo.environment["MITMWATCH_SHARED"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared").path
        let root = shared + "/corpus/peers"
        let data = try Data(contentsOf: URL(fileURLWithPath: root + "/manifest.json"))
        let manifest = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let captures = (manifest["captures"] as? [[String: Any]] ?? []).map { entry in
            let expected = entry["expected"] as? [String: Any] ?? [:]
            let connections = (expected["connections"] as? [[String: Any]] ?? []).map { c in
                Connection(
                    transport: c["transport"] as? String ?? "",
                    client: c["client"] as? String ?? "",
                    server: c["server"] as? String ?? "",
                    sni: (c["sni"] as? String).map { [$0] } ?? (c["sni"] as? [String]),
                    version: c["version"] as? String,
                    serverChain: c["server_chain_sha256"] as? [String],
                    clientChain: c["client_chain_sha256"] as? [String])
            }
            return Capture(file: entry["file"] as? String ?? "", connections: connections)
        }
        return PeerCorpus(root: root, captures: captures)
    }

    /// Every session `read` would report for one capture file.
    static func run(_ path: String) throws -> [TLSSession] {
        let file = try PcapFile(path: path)
        var sessions: [TLSSession] = []
        var pipeline = Pipeline(observer: SessionsOnlyObserver { sessions.append($0) })
        _ = file.forEachPacket { frame, length, time, linkType in
            pipeline.process(frame: frame, originalLength: length, linkType: linkType, at: time)
        }
        pipeline.finish()
        return sessions
    }

    /// nil when our session says what the oracle says; otherwise what differs.
    static func compare(_ expected: Connection, _ session: TLSSession?) -> String? {
        guard let session else {
            let expectsNothing = expected.serverChain == nil && expected.clientChain == nil && expected.sni == nil
                && expected.version == nil
            return expectsNothing ? nil : "no session reported"
        }
        var problems: [String] = []
        let serverChain = session.serverChain?.fingerprints.map(\.description)
        if serverChain != expected.serverChain {
            problems.append("server chain \(short(serverChain)) (unobserved: \(session.unobservedReason?.rawValue ?? "-")), oracle \(short(expected.serverChain))")
        }
        let clientChain = session.clientChain?.fingerprints.map(\.description)
        if (clientChain ?? []) != (expected.clientChain ?? []) {
            problems.append("client chain \(short(clientChain)), oracle \(short(expected.clientChain))")
        }
        let names = session.serverNames
        if names != (expected.sni ?? []) {
            problems.append("SNI \(names), oracle \(expected.sni ?? [])")
        }
        if let version = expected.version, session.version?.name != version {
            problems.append("version \(session.version?.name ?? "none"), oracle \(version)")
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    private static func short(_ chain: [String]?) -> String {
        chain.map { "[" + $0.map { String($0.prefix(12)) }.joined(separator: ", ") + "]" } ?? "none"
    }

    /// Connections where we believe the oracle is wrong, why, and what we must report instead.
    struct Disagreement: Sendable {
        var why: String
        /// nil when our session is as documented.
        var check: @Sendable (TLSSession?) -> String?
    }

    static let disagreements: [String: Disagreement] = [
        "zeek/tls1.2-protocol-violation.pcap 10.0.0.80:56637": Disagreement(
            why: """
                The server's Certificate message declares a certificate_list of 3820 bytes inside a \
                256-byte message. The manifest lists an empty chain (tshark truncates the list and shows \
                none; the corpus README itself says "expect malformed, no certificate"). An empty chain \
                would claim the server sent no certificate; we report the chain as not observable with \
                the reason certificate-message-malformed, which is what happened.
                """,
            check: { session in
                guard let session else { return "no session" }
                if session.serverChain != nil { return "a chain was reported" }
                if session.unobservedReason != .malformedCertificateMessage {
                    return "reason \(session.unobservedReason?.rawValue ?? "none")"
                }
                return session.serverName == nil && session.version == .tls12 ? nil : "SNI or version changed"
            }),
        "arkime/arkime_synthetic.pcap 10.9.19.1:49621": Disagreement(
            why: """
                Synthetic ServerHello (legacy version TLS 1.2) with 1024 bytes of empty extensions, \
                among them supported_versions (43) with length 0. tshark reads past that empty \
                extension into the next extension's type (0x002c) and reports version "0x002c"; \
                Arkime, like us, reports TLS 1.2: an empty supported_versions selects nothing.
                """,
            check: { session in
                guard let session else { return "no session" }
                return session.version == .tls12 && session.serverChain == nil ? nil
                    : "version \(session.version?.name ?? "none")"
            }),
    ]
}
