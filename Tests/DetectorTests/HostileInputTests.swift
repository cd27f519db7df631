@testable import Certificates
@testable import Detector
import Foundation
import Testing
import TestSupport

/// Parsing paths fed by the network or by users' files, given garbage.
@Suite struct DetectorHostileInputTests {
    @Test func stapledOCSPGarbageCarriesNoSCTs() {
        #expect(!OCSPStapling.carriesSCTs([]))
        #expect(!OCSPStapling.carriesSCTs([0x30, 0x82, 0xff, 0xff, 0x0a]))
        var state: UInt64 = 7
        for length in [1, 2, 10, 100, 4000] {
            let bytes = (0..<length).map { _ -> UInt8 in
                state = state &* 6364136223846793005 &+ 1
                return UInt8(truncatingIfNeeded: state >> 33)
            }
            #expect(!OCSPStapling.carriesSCTs(bytes))
            #expect(!OCSPStapling.carriesSCTs([0x30] + bytes))
        }
    }

    @Test func attributeNameCacheIsBoundedAgainstCraftedOIDs() {
        for arc in 0..<(AttributeNames.maxCached * 2) {
            _ = AttributeNames.shortName(dotted: "1.3.6.1.4.1.99999.\(arc)")
        }
        #expect(AttributeNames.cachedCount <= AttributeNames.maxCached)
        #expect(AttributeNames.shortName(dotted: "2.5.4.3") == "CN")
    }

    @Test func brokenIndicatorListsAreErrorsNamingTheFile() throws {
        let kit = try OpenSSLKit()
        for (name, text) in [("garbage.json", "{ not json"), ("object.json", "{\"name\": \"x\"}"),
                             ("empty-entry.json", "[{\"name\": \"nothing to match\"}]"),
                             ("bad-pem.json", "[{\"name\": \"x\", \"pem_file\": \"missing.pem\"}]")] {
            let path = kit.path(name)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            var set = IndicatorSet()
            var message = ""
            do { try set.add(jsonFile: path) } catch { message = error.description }
            #expect(message.contains(path), "\(name): \(message)")
            #expect(set.indicators.isEmpty)
        }
        let directory = kit.path("certs")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data([0x30, 0x82, 0x10, 0x00, 0x01]).write(to: URL(fileURLWithPath: directory + "/broken.der"))
        var set = IndicatorSet()
        var message = ""
        do { try set.add(directory: directory) } catch { message = error.description }
        #expect(message.contains("broken.der"))
    }
}
