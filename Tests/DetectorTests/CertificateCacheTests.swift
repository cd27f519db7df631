import Detector
import Foundation
import Sniffer
import Testing
import Wire
import Certificates

@Suite struct CertificateCacheTests {
    static func indicatorDERs() throws -> [[UInt8]] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/indicators/certs").path
        let shared = ProcessInfo.processInfo.environment["MITMWATCH_SHARED"].map { $0 + "/indicators/certs" } ?? directory
        return try FileManager.default.contentsOfDirectory(atPath: shared).sorted().filter { $0.hasSuffix(".pem") }
            .flatMap { name in
                try CertificateFile.entries(in: [UInt8](try Data(contentsOf: URL(fileURLWithPath: shared + "/" + name))))
                    .map(\.der)
            }
    }

    @Test func secondLookupIsAHitWithTheSameAnswer() throws {
        let ders = try Self.indicatorDERs()
        #expect(ders.count >= 30)
        var cache = CertificateCache()
        let first = ders.map { cache.lookup($0.span) }
        let second = ders.map { cache.lookup($0.span) }
        #expect(cache.misses == UInt64(ders.count))
        #expect(cache.hits == UInt64(ders.count))
        #expect(first.map(\.sha256) == second.map(\.sha256))
        #expect(first.map(\.layout) == second.map(\.layout))
        #expect(first.allSatisfy { $0.layout != nil && $0.spkiSHA256 != nil })
    }

    @Test func aCertificateDifferingInOneByteIsNotTakenForAnother() throws {
        let der = try Self.indicatorDERs()[0]
        var cache = CertificateCache()
        let original = cache.lookup(der.span)
        var forged = der
        forged[forged.count - 1] ^= 0x01  // same length, last signature bit flipped
        let other = cache.lookup(forged.span)
        #expect(original.sha256 != other.sha256)
        #expect(cache.misses == 2)
    }

    @Test func staysWithinItsCapacity() throws {
        let ders = try Self.indicatorDERs()
        var cache = CertificateCache(capacity: 8)
        for _ in 0..<3 { for der in ders { _ = cache.lookup(der.span) } }
        #expect(cache.count <= 8)
    }

    @Test func itsByteBoundCountsTheStringsMadeFromTheDER() throws {
        // Names and key identifiers come from the network and can outgrow the DER they are made
        // from (RFC 2253 escapes, hex): the bound covers them too.
        let ders = try Self.indicatorDERs()
        var roomy = CertificateCache()
        for der in ders { _ = roomy.lookup(der.span) }
        #expect(roomy.storedBytes > ders.reduce(0) { $0 + $1.count })
        var small = CertificateCache(maxBytes: 16 << 10)
        for _ in 0..<3 { for der in ders { _ = small.lookup(der.span) } }
        #expect(small.storedBytes <= 16 << 10)
    }

    @Test func unparseableCertificatesAreRememberedWithTheirError() {
        let junk: [UInt8] = [0x30, 0x03, 0x02, 0x01, 0x01]
        var cache = CertificateCache()
        let known = cache.lookup(junk.span)
        #expect(known.layout == nil)
        #expect(known.parseError != nil)
        _ = cache.lookup(junk.span)
        #expect(cache.hits == 1)
    }
}

@Suite struct CertificateFileTests {
    @Test func readsSeveralPEMBlocksAndSkipsOtherBlocks() throws {
        let ders = try CertificateCacheTests.indicatorDERs()
        func pem(_ der: [UInt8], label: String = "CERTIFICATE") -> String {
            let base64 = Data(der).base64EncodedString(options: .lineLength64Characters)
            return "-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----\n"
        }
        let text = "junk before\n" + pem(ders[0]) + pem([1, 2, 3], label: "PRIVATE KEY") + pem(ders[1])
        let entries = try CertificateFile.entries(in: Array(text.utf8))
        #expect(entries.map(\.der) == [ders[0], ders[1]])
        #expect(entries.map(\.location) == ["PEM block 1", "PEM block 2"])
    }

    /// Line breaks of every kind Swift counts as one (CRLF, CR, VT, FF, NEL, U+2028), spaces and
    /// tabs around lines, RFC 1421 headers, a last line without a break: the same certificates.
    @Test func readsPEMWhateverTheLineBreaksAndPadding() throws {
        let ders = try CertificateCacheTests.indicatorDERs()
        let base64 = Data(ders[0]).base64EncodedString(options: .lineLength64Characters)
        let lines = ["-----BEGIN CERTIFICATE-----", "Proc-Type: 4,ENCRYPTED", ""]
            + base64.components(separatedBy: "\r\n") + ["-----END CERTIFICATE-----"]
        for separator in ["\n", "\r\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}"] {
            for padding in ["", " \t"] {
                let text = lines.map { padding + $0 + padding }.joined(separator: separator)
                let entries = try CertificateFile.entries(in: Array(text.utf8))
                #expect(entries.map(\.der) == [ders[0]], "separator \(separator.unicodeScalars.map(\.value))")
            }
        }
        // Not a line break (U+001E): one long line that begins a block and never ends it.
        #expect(throws: CertificateFile.ReadError.self) {
            _ = try CertificateFile.entries(in: Array(lines.joined(separator: "\u{1E}").utf8))
        }
    }

    @Test func readsConcatenatedDER() throws {
        let ders = try CertificateCacheTests.indicatorDERs()
        let entries = try CertificateFile.entries(in: ders[0] + ders[1])
        #expect(entries.map(\.der) == [ders[0], ders[1]])
    }

    @Test func brokenInputIsAnErrorNamingWhere() {
        #expect(throws: CertificateFile.ReadError.self) {
            _ = try CertificateFile.entries(in: Array("-----BEGIN CERTIFICATE-----\n@@@\n-----END CERTIFICATE-----\n".utf8))
        }
        #expect(throws: CertificateFile.ReadError.self) {
            _ = try CertificateFile.entries(in: [0x30, 0x82, 0x10, 0x00, 0x01])
        }
        #expect(throws: CertificateFile.ReadError.self) {
            _ = try CertificateFile.entries(in: Array("-----BEGIN CERTIFICATE-----\nMAA=\n".utf8))
        }
    }
}
