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

    /// Attribute types off the network that OpenSSL does not know print as dotted OIDs (the
    /// short-name table is read once from OpenSSL and never grows with them).
    @Test func craftedAttributeTypesPrintAsDottedOIDs() {
        for arc in 128..<2176 {
            let der = Self.name(oid: [0x2b, 0x06, 0x01, 0x04, 0x01, 0x86, 0x8d, 0x1f, 0x80 | UInt8(arc >> 7), UInt8(arc & 0x7f)])
            let name = DistinguishedName.rfc2253(der.span)
            #expect(name == "1.3.6.1.4.1.99999.\(arc)=#130178")
        }
        let common = Self.name(oid: [0x55, 0x04, 0x03])
        #expect(DistinguishedName.rfc2253(common.span) == "CN=x")
    }

    /// A Name of one attribute of type `oid` (its encoded contents) with the PrintableString "x".
    private static func name(oid: [UInt8]) -> [UInt8] {
        let pair = [0x06, UInt8(oid.count)] + oid + [0x13, 0x01, UInt8(ascii: "x")]
        let set = [0x31, UInt8(pair.count + 2), 0x30, UInt8(pair.count)] + pair
        return [0x30, UInt8(set.count)] + set
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
