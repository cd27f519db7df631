import Certificates
import Detector
import Foundation
import Sniffer
import Testing
@testable import Store

/// Reports folded into history in memory, then written and read back.
@Suite struct AggregationTests {
    @Test func twentyThousandHandshakesOfTwentyTwoChainsAreTwentyTwoRows() throws {
        let directory = StoreFixtures.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteObservationStore(path: directory.appendingPathComponent("state.db").path, readOnly: false)
        var aggregator = ObservationAggregator()
        let chains = (0..<22).map { StoreFixtures.chain($0) }
        for index in 0..<20_000 {
            let chain = chains[index % 22]
            // Only the first report of a chain carries the parsed leaf (as for chains new to the process).
            let known = index < 22 ? [StoreFixtures.leaf(of: chain, issuer: "CN=CA \(index % 3)", keyIdentifier: "ab\(index % 3)")] : []
            aggregator.add(StoreFixtures.report(sni: "Site\(index % 22).EXAMPLE", chain: chain, at: 1_000 + Int64(index),
                                                known: known))
            #expect(!aggregator.isFull)
        }
        let batch = aggregator.drain()
        #expect(batch.chains.count == 22)
        #expect(batch.profiles.count == 22)
        #expect(batch.certificates.count == 22)
        #expect(batch.observations == 20_000)
        #expect(aggregator.isEmpty)
        try store.write(batch, sensor: "gw1")
        #expect(try StoreFixtures.integer(store.path, "SELECT COUNT(*) FROM name_chains") == 22)
        #expect(try StoreFixtures.integer(store.path, "SELECT SUM(count) FROM name_chains") == 20_000)

        let history = try store.chains(named: "site5.example", since: nil)
        #expect(history.count == 1)
        let site5 = try #require(history.first)
        #expect(site5.certificates == chains[5])
        #expect(site5.issuer == "CN=CA 2")
        #expect(site5.issuingCA == "aki:ab2")
        #expect(site5.firstSeen == 1_005)
        #expect(site5.lastSeen == 1_000 + 19_981)  // the last index ≡ 5 (mod 22) below 20,000
        #expect(site5.count == (20_000 - 5 + 21) / 22)
        #expect(site5.observations == ["passive"])
        #expect(try store.chains(named: "SITE5.example", since: nil) == history)  // names are lower case
    }

    @Test func secondBatchesAddUpAndTheVerdictIsAUnion() throws {
        let directory = StoreFixtures.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteObservationStore(path: directory.appendingPathComponent("state.db").path, readOnly: false)
        let chain = StoreFixtures.chain(1)
        var aggregator = ObservationAggregator()
        aggregator.add(StoreFixtures.report(sni: "a.example", chain: chain, at: 5_000, findings: [StoreFixtures.finding(.missingSCT)]))
        try store.write(aggregator.drain(), sensor: "gw1")
        aggregator.add(StoreFixtures.report(sni: "a.example", chain: chain, at: 4_000, observation: .probe,
                                            findings: [StoreFixtures.finding(.knownInterceptionCA)],
                                            known: [StoreFixtures.leaf(of: chain, issuer: "CN=Qaznet Trust Network", keyIdentifier: "ff")]))
        aggregator.add(StoreFixtures.report(sni: "a.example", chain: chain, at: 9_000))
        try store.write(aggregator.drain(), sensor: "gw1")
        let entry = try #require(try store.chains(named: "a.example", since: nil).first)
        #expect(entry.count == 3)
        #expect(entry.firstSeen == 4_000)
        #expect(entry.lastSeen == 9_000)
        #expect(entry.observations == ["passive", "probe"])
        #expect(entry.rules == ["known-interception-ca", "missing-sct"])
        #expect(entry.issuer == "CN=Qaznet Trust Network")  // filled in by the later report
        #expect(try store.chains(named: "a.example", since: 9_001).isEmpty)
        #expect(try store.chains(issuerContaining: "qAZNET", since: nil).map(\.name) == ["a.example"])
        #expect(try store.chains(issuerContaining: "%", since: nil).isEmpty)  // LIKE's wildcards are text
        #expect(try store.chains(caKey: "aki:ff", since: nil).count == 1)
        #expect(try store.chains(caKey: "FF", since: nil).count == 1)
        #expect(try store.chains(caKey: StoreFixtures.fingerprint(99_999).description, since: nil).count == 1)  // leaf's SPKI
    }

    @Test func tls13SessionsLeaveAProfileAndNamelessOnesTheAddress() throws {
        var aggregator = ObservationAggregator()
        aggregator.add(StoreFixtures.report(sni: "q.example", chain: nil, at: 10, offerMLKEM: true, group: 0x11EC))
        aggregator.add(StoreFixtures.report(sni: "q.example", chain: nil, at: 20, offerMLKEM: true, group: 0x11EC))
        aggregator.add(StoreFixtures.report(sni: "q.example", chain: nil, at: 30, offerMLKEM: true, group: 0x001d))
        aggregator.add(StoreFixtures.report(sni: nil, chain: StoreFixtures.chain(3), at: 40, address: 0xC000_0207))
        let batch = aggregator.drain()
        #expect(batch.chains.map(\.name) == [ObservedName(name: "192.0.2.7", kind: .address)])
        let q = batch.profiles.filter { $0.name.name == "q.example" }.sorted { $0.firstSeen < $1.firstSeen }
        #expect(q.count == 2)
        #expect(q[0].key.keyShareGroup == 0x11EC && q[0].count == 2 && q[0].lastSeen == 20)
        #expect(q[1].key.keyShareGroup == 0x001d && q[1].key.clientOfferedMLKEM && q[1].key.clientOfferedTLS13)
        #expect(q[0].key.version == 0x0304)

        let directory = StoreFixtures.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteObservationStore(path: directory.appendingPathComponent("state.db").path, readOnly: false)
        try store.write(batch, sensor: "gw1")
        try store.write(batch, sensor: "gw1")
        #expect(try StoreFixtures.integer(store.path, "SELECT COUNT(*) FROM profiles") == 3)
        #expect(try StoreFixtures.integer(store.path, "SELECT count FROM profiles WHERE key_share_group = \(0x11EC)") == 4)
        #expect(try store.chains(named: "192.0.2.7", since: nil).first?.kind == .address)
    }

    @Test func issuerChangesListEachKeyInOrder() throws {
        let directory = StoreFixtures.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteObservationStore(path: directory.appendingPathComponent("state.db").path, readOnly: false)
        var aggregator = ObservationAggregator()
        let old = StoreFixtures.chain(10), new = StoreFixtures.chain(11), other = StoreFixtures.chain(12)
        aggregator.add(StoreFixtures.report(sni: "bank.example", chain: old, at: 1_000,
                                            known: [StoreFixtures.leaf(of: old, issuer: "CN=Old CA", keyIdentifier: "01")]))
        aggregator.add(StoreFixtures.report(sni: "bank.example", chain: new, at: 90_000,
                                            known: [StoreFixtures.leaf(of: new, issuer: "CN=New CA", keyIdentifier: "02")]))
        aggregator.add(StoreFixtures.report(sni: "calm.example", chain: other, at: 1_000,
                                            known: [StoreFixtures.leaf(of: other, issuer: "CN=Old CA", keyIdentifier: "01")]))
        try store.write(aggregator.drain(), sensor: "gw1")
        let changes = try store.issuerChanges(since: nil)
        #expect(changes.map(\.name) == ["bank.example"])
        #expect(changes.first?.issuingCAs.map(\.key) == ["aki:01", "aki:02"])
        #expect(changes.first?.issuingCAs.map(\.firstSeen) == [1_000, 90_000])
        #expect(try store.issuerChanges(since: 50_000).count == 1)
        #expect(try store.issuerChanges(since: 95_000).isEmpty)
    }

    @Test func retentionAndTheSizeCapRemoveTheOldestAndWhatNothingReferences() throws {
        let directory = StoreFixtures.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteObservationStore(path: directory.appendingPathComponent("state.db").path, readOnly: false)
        var aggregator = ObservationAggregator(capacity: 100_000)
        for index in 0..<3_000 {
            let chain = StoreFixtures.chain(index)
            aggregator.add(StoreFixtures.report(sni: "n\(index).example", chain: chain, at: Int64(index),
                                                known: [StoreFixtures.leaf(of: chain, issuer: "CN=CA", keyIdentifier: "01")]))
        }
        try store.write(aggregator.drain(), sensor: "gw1")
        #expect(try store.removeHistory(lastSeenBefore: 1_000) == 2_000)  // 1,000 chains + 1,000 profiles
        #expect(try StoreFixtures.integer(store.path, "SELECT COUNT(*) FROM names") == 2_000)
        #expect(try StoreFixtures.integer(store.path, "SELECT COUNT(*) FROM chains") == 2_000)
        #expect(try StoreFixtures.integer(store.path, "SELECT COUNT(*) FROM certificates") == 2_000)
        #expect(try StoreFixtures.integer(store.path, "SELECT MIN(last_seen) FROM name_chains") == 1_000)
        let before = try store.usedBytes()
        let removed = try store.shrink(toBytes: before / 2)
        #expect(removed > 0)
        #expect(try store.usedBytes() <= before / 2)
        // The newest history stayed.
        #expect(try StoreFixtures.integer(store.path, "SELECT MAX(last_seen) FROM name_chains") == 2_999)
        #expect(try StoreFixtures.integer(store.path, "SELECT COUNT(*) FROM chains WHERE sha256 NOT IN (SELECT chain_sha256 FROM name_chains)") == 0)
    }
}
