import Dispatch
import Foundation
import OpenSSLBridge
import Synchronization
import Testing
import TestSupport

@Suite struct ObjectNamesTests {
    @Test func knownAttributeTypesHaveOpenSSLShortNames() {
        #expect(ObjectNames.shortName(dotted: "2.5.4.3") == "CN")
        #expect(ObjectNames.shortName(dotted: "2.5.4.6") == "C")
        #expect(ObjectNames.shortName(dotted: "1.2.840.113549.1.9.1") == "emailAddress")
        #expect(ObjectNames.shortName(dotted: "0.9.2342.19200300.100.1.25") == "DC")
        #expect(ObjectNames.shortName(dotted: "1.3.6.1.4.1.311.60.2.1.3") == "jurisdictionC")
        #expect(ObjectNames.shortName(dotted: "1.2.840.113549.1.1.11") == "RSA-SHA256")
        // OpenSSL's table holds over a thousand objects with an OID.
        #expect(ObjectNames.count > 1000)
    }

    /// Against `openssl list -objects` ("SN = LN, OID", or "SN = OID" when both names agree):
    /// every object with an OID is in the table under its short name, and nothing else is. The
    /// command cuts long OIDs short (they end in "."); those are only counted.
    @Test func tableIsEveryObjectOpenSSLLists() throws {
        let listing = try OpenSSLKit.run(["list", "-objects"], in: NSTemporaryDirectory())
        var names: [String: Set<String>] = [:]
        var cutShort = 0
        for line in listing.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " = ", maxSplits: 1)
            try #require(parts.count == 2, "\(line)")
            let oid = String(parts[1].split(separator: ", ").last ?? "")
            if oid.hasSuffix(".") {
                cutShort += 1
            } else {
                names[oid, default: []].insert(String(parts[0]))
            }
        }
        #expect(names.count > 1000)
        for (oid, shortNames) in names {
            // One OID can stand for two objects (1.3: ORG and identified-organization); OpenSSL
            // resolves it to one of them.
            let name = ObjectNames.shortName(dotted: oid)
            #expect(name.map(shortNames.contains) == true, "\(oid): \(name ?? "nil") not in \(shortNames)")
        }
        #expect(ObjectNames.count == names.count + cutShort)
        #expect(ObjectNames.shortName(dotted: "1.2.804.2.1.1.1.1.3.1.1.2.0") == "uacurve0")
    }

    @Test func unknownOrMalformedOIDsHaveNone() {
        #expect(ObjectNames.shortName(dotted: "1.3.6.1.4.1.99999.1") == nil)
        #expect(ObjectNames.shortName(dotted: "2.5.4.03") == nil)
        #expect(ObjectNames.shortName(dotted: "CN") == nil)
        #expect(ObjectNames.shortName(dotted: "commonName") == nil)
        #expect(ObjectNames.shortName(dotted: "") == nil)
        #expect(ObjectNames.shortName(dotted: "?") == nil)
    }

    @Test func concurrentLookupsAgree() {
        let oids = ["2.5.4.3", "2.5.4.10", "2.5.4.11", "1.2.840.113549.1.9.1", "2.5.4.97", "1.3.6.1.4.1.99999.7"]
        let expected = ["CN", "O", "OU", "emailAddress", "organizationIdentifier", nil]
        let disagreements = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for round in 0..<2_000 {
                let index = (thread + round) % oids.count
                if ObjectNames.shortName(dotted: oids[index]) != expected[index] {
                    disagreements.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(disagreements.load(ordering: .relaxed) == 0)
    }
}
