import Certificates
import Detector
import Foundation
import Sniffer
import TestSupport
import Testing

/// The history rules through the real pipeline, with sessions days apart: a CA migration stays
/// medium, a forged chain is high, nothing fires before a history is settled; TLS 1.3 and the
/// post-quantum group dropped are `tls-downgrade`; another ServerHello for the same offer is
/// `server-profile-change` (low).
@Suite struct HistoryRulesTests {
    typealias PKI = HistoryPKI

    static func configuration(_ pki: PKI, book: HistoryBook) throws -> DetectionConfiguration {
        var configuration = DetectionConfiguration(
            indicators: IndicatorSet.builtIn(), trustStore: try TrustStore(path: pki.store),
            untrustedChain: .init(scope: .all, publicSuffixes: try PublicSuffixList.system(), allowList: InspectionAllowList()))
        configuration.history = HistoryRules(book: book, settings: HistorySettings())
        return configuration
    }

    /// The first day's time: after the test's certificates begin to be valid.
    static let base = Int64(Date().timeIntervalSince1970) + 60

    /// One session through a fresh pipeline at `day` (days after `base`): TLS 1.2 with `chain`,
    /// or TLS 1.3 (no chain visible) when `chain` is nil.
    static func session(_ name: String, chain: [[UInt8]]?, day: Double, _ configuration: DetectionConfiguration,
                        offer13: Bool = true, offerHybrid: Bool = false, serverVersion: Int? = nil,
                        serverGroup: Int? = nil) -> SessionReport? {
        var script = SegmentScript()
        script.handshake()
        let client = TLSBytes.record(22, TLSBytes.clientHello(sni: name, supportedVersions: offer13 ? [0x0304, 0x0303] : [0x0303],
                                                               keyShareGroups: offerHybrid ? [0x11EC, 0x001D] : [0x001D]))
        let hello = TLSBytes.serverHello(supportedVersion: serverVersion ?? (chain == nil ? 0x0304 : nil),
                                         keyShareGroup: serverGroup ?? (chain == nil ? 0x001D : nil))
        var server = TLSBytes.record(22, hello)
        if let chain { server += TLSBytes.record(22, TLSBytes.certificate(chain) + TLSBytes.serverHelloDone) }
        else { server += TLSBytes.record(23, Array(repeating: 0x55, count: 300)) }  // encrypted flight
        script.segments += script.cut(client, fromClient: true, size: 1460)
        script.segments += script.cut(server, fromClient: false, size: 1460)
        final class Collected { var reports: [SessionReport] = [] }
        let collected = Collected()
        var pipeline = Pipeline(observer: DetectionObserver(rules: RuleSet(configuration)) { collected.reports.append($0) })
        script.play(into: &pipeline, startingAt: base + Int64(day * 86_400))
        return collected.reports.first
    }

    static func finding(_ report: SessionReport?, _ rule: Rule) -> Finding? { report?.findings.first { $0.rule == rule } }

    @Test func aCAMigrationIsMediumAndAForgedChainIsHigh() throws {
        let pki = try PKI()
        let book = HistoryBook()
        let configuration = try Self.configuration(pki, book: book)
        let usual = try pki.chain("www.bank.example", by: "caA")
        // Another name here is served by caB: caB is not new to this gateway.
        _ = Self.session("www.other.example", chain: try pki.chain("www.other.example", by: "caB"), day: 0, configuration)
        // Not settled yet (two days, not three): a new CA is not judged.
        for day in stride(from: 0.0, through: 2.0, by: 0.25) {
            #expect(Self.session("www.bank.example", chain: usual, day: day, configuration)?.findings.isEmpty == true)
        }
        #expect(Self.finding(Self.session("www.bank.example", chain: try pki.chain("www.bank.example", by: "caB"), day: 2.1, configuration),
                             .issuerChange) == nil)
        for day in stride(from: 2.2, through: 4.0, by: 0.25) {
            _ = Self.session("www.bank.example", chain: usual, day: day, configuration)
        }
        // A migration: a CA this gateway knows, a chain that validates → medium.
        let fresh = try pki.chain("www.shop.example", by: "caA")
        for day in stride(from: 0.0, through: 4.0, by: 0.25) { _ = Self.session("www.shop.example", chain: fresh, day: day, configuration) }
        let migrated = Self.session("www.shop.example", chain: try pki.chain("www.shop.example", by: "caB"), day: 4.5, configuration)
        let migration = try #require(Self.finding(migrated, .issuerChange))
        #expect(migration.severity == .medium)
        #expect(migration.reasons == ["new-issuing-ca"])
        #expect(migrated?.findings.count == 1)
        // Once seen, the new CA is part of the history: no second alert.
        #expect(Self.finding(Self.session("www.shop.example", chain: try pki.chain("www.shop.example", by: "caB"), day: 4.6, configuration),
                             .issuerChange) == nil)

        // A forged chain: a CA never seen here, and it does not validate → high.
        let rogueLeaf = try pki.forged("www.bank.example")
        let forged = Self.session("www.bank.example", chain: [rogueLeaf], day: 4.7, configuration)
        let interception = try #require(Self.finding(forged, .issuerChange))
        #expect(interception.severity == .high)
        #expect(interception.reasons.contains("ca-new-here") && interception.reasons.contains("also-untrusted-chain"))
        let firstDay = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(Self.base))).prefix(10)
        #expect(interception.detail?.contains("since \(firstDay)") == true, "\(interception.detail ?? "")")
        #expect(AlertText.message(interception, in: forged!, indicators: IndicatorSet()).contains("likely interception"))
    }

    @Test func tls13AndThePostQuantumGroupDroppedAreDowngrades() throws {
        let pki = try PKI()
        let configuration = try Self.configuration(pki, book: HistoryBook())
        for day in stride(from: 0.0, through: 2.0, by: 0.1) {
            let report = Self.session("chat.example", chain: nil, day: day, configuration, offerHybrid: true, serverGroup: 0x11EC)
            #expect(report?.session.unobservedReason == .tls13Encrypted)
            #expect(report?.findings.isEmpty == true)
        }
        // The same offer answered with a classical group: the hybrid was stripped.
        let group = Self.session("chat.example", chain: nil, day: 2.5, configuration, offerHybrid: true, serverGroup: 0x001D)
        let dropped = try #require(Self.finding(group, .tlsDowngrade))
        #expect(dropped.reasons == ["post-quantum-group-dropped"])
        #expect(dropped.severity == .high)
        // TLS 1.2 to a client that offered 1.3.
        let chain = try pki.chain("chat.example", by: "caA")
        let version = Self.session("chat.example", chain: chain, day: 2.6, configuration)
        let downgrade = try #require(Self.finding(version, .tlsDowngrade))
        #expect(downgrade.reasons == ["version-downgrade"])
        #expect(downgrade.detail?.hasPrefix("negotiated TLS 1.2 with TLS 1.3 offered") == true)
        // A client that offered only TLS 1.2 got what it asked for.
        #expect(Self.finding(Self.session("chat.example", chain: chain, day: 2.7, configuration, offer13: false), .tlsDowngrade) == nil)
    }

    @Test func anotherServerHelloForTheSameOfferIsAProfileChange() throws {
        let pki = try PKI()
        let configuration = try Self.configuration(pki, book: HistoryBook())
        for day in stride(from: 0.0, through: 4.0, by: 0.15) {
            #expect(Self.session("api.example", chain: nil, day: day, configuration)?.findings.isEmpty == true)
        }
        let changed = Self.session("api.example", chain: nil, day: 4.2, configuration, serverGroup: 0x0017)
        let change = try #require(Self.finding(changed, .serverProfileChange))
        #expect(change.severity == .low)
        #expect(change.reasons == ["group-changed"])
    }

    @Test func withoutAHistoryNothingFiresAndTheBookIsBounded() throws {
        let pki = try PKI()
        let book = HistoryBook(capacity: 10)
        let configuration = try Self.configuration(pki, book: book)
        for index in 0..<35 {
            #expect(Self.session("n\(index).example", chain: nil, day: 0, configuration)?.findings.isEmpty == true)
        }
        #expect(book.counts.names <= 20)
        #expect(book.counts.forgottenNames >= 10)
        // No store: no history rules, the same sessions judged as before.
        var plain = try Self.configuration(pki, book: book)
        plain.history = nil
        #expect(RuleSet(plain).history == nil)
    }
}
