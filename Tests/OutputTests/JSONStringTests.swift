import Foundation
import Testing
import TestSupport
import Wire
@testable import Detector
@testable import Output
import Certificates

/// String values: hostile bytes come out as valid UTF-8 JSON that decodes to what
/// `String(decoding:as:)` makes of them, escaped exactly as the previous writer escaped them.
@Suite struct JSONStringTests {
    /// `{"v":…}` with the value written from raw bytes.
    static func line(_ bytes: [UInt8]) -> [UInt8] {
        var json = JSONBuffer()
        json.beginRecord()
        json.key("v")
        json.utf8String(bytes.span)
        json.endRecord()
        return json.bytes
    }

    /// The value as a JSON parser reads it back.
    static func decoded(_ line: [UInt8]) throws -> String? {
        let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
        return object?["v"] as? String
    }

    /// The previous writer's escaping of the same text.
    static func legacy(_ text: String) -> [UInt8] {
        var out = ""
        JSONObjectWriter.appendString(text, to: &out)
        return Array(("{\"v\":" + out + "}\n").utf8)
    }

    static let replacement = "\u{FFFD}"

    /// Hostile and ordinary values and what a parser must read back.
    static let table: [(name: String, bytes: [UInt8], expected: String)] = {
        var rows: [(String, [UInt8], String)] = []
        for byte in UInt8(0)...0x1f { rows.append(("control \(byte)", [UInt8(ascii: "a"), byte, UInt8(ascii: "b")], "a" + String(UnicodeScalar(byte)) + "b")) }
        rows.append(("DEL", [0x7f], "\u{7f}"))
        rows.append(("quote", Array(#"say "hi""#.utf8), #"say "hi""#))
        rows.append(("backslashes", Array(#"C:\x\\y\"#.utf8), #"C:\x\\y\"#))
        rows.append(("encoded surrogate ED A0 80", [0x61, 0xed, 0xa0, 0x80, 0x62], "a" + replacement + replacement + replacement + "b"))
        rows.append(("encoded low surrogate ED B0 80", [0xed, 0xb0, 0x80], replacement + replacement + replacement))
        rows.append(("overlong C0 AF", [0xc0, 0xaf], replacement + replacement))
        rows.append(("overlong E0 80 AF", [0xe0, 0x80, 0xaf], replacement + replacement + replacement))
        rows.append(("overlong F0 80 80 AF", [0xf0, 0x80, 0x80, 0xaf], String(repeating: replacement, count: 4)))
        rows.append(("5-byte form", [0xf8, 0x88, 0x80, 0x80, 0x80], String(repeating: replacement, count: 5)))
        rows.append(("6-byte form", [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80], String(repeating: replacement, count: 6)))
        rows.append(("above U+10FFFF", [0xf4, 0x90, 0x80, 0x80], String(repeating: replacement, count: 4)))
        rows.append(("lone continuation", [0x80, 0x41], replacement + "A"))
        rows.append(("FE FF", [0xfe, 0xff], replacement + replacement))
        rows.append(("truncated 2-byte at end", [0x41, 0xc3], "A" + replacement))
        rows.append(("truncated 3-byte at end", [0x41, 0xe2, 0x82], "A" + replacement))
        rows.append(("truncated 4-byte at end", [0x41, 0xf0, 0x9f, 0x98], "A" + replacement))
        rows.append(("truncated 3-byte then ASCII", [0xe2, 0x82, 0x41], replacement + "A"))
        rows.append(("truncated then quote", [0xe2, 0x22], replacement + "\""))
        rows.append(("2-byte é", [0xc3, 0xa9], "é"))
        rows.append(("3-byte €", [0xe2, 0x82, 0xac], "€"))
        rows.append(("4-byte 😀", [0xf0, 0x9f, 0x98, 0x80], "😀"))
        rows.append(("U+2028 U+2029", [0xe2, 0x80, 0xa8, 0xe2, 0x80, 0xa9], "\u{2028}\u{2029}"))
        rows.append(("U+FFFF and U+E000", [0xef, 0xbf, 0xbf, 0xee, 0x80, 0x80], "\u{FFFF}\u{E000}"))
        rows.append(("NUL only", [0], "\u{0}"))
        rows.append(("empty", [], ""))
        return rows
    }()

    @Test func hostileValuesDecodeToWhatTheyShould() throws {
        for row in Self.table {
            let line = Self.line(row.bytes)
            #expect(String(validating: line, as: UTF8.self) != nil, "\(row.name): line is not valid UTF-8")
            #expect(try Self.decoded(line) == row.expected, "\(row.name)")
            // Swift's own decoding agrees with the table (maximal subpart replacement).
            #expect(String(decoding: row.bytes, as: UTF8.self) == row.expected, "\(row.name): table disagrees with Swift")
            #expect(line == Self.legacy(row.expected), "\(row.name): escaped differently than before")
        }
    }

    /// The eight-bytes-at-a-time test is exact: every byte value in every position, next to
    /// plain bytes and next to other non-plain ones.
    @Test func wordScanAgreesWithTheByteTest() {
        func plain(_ byte: UInt8) -> Bool { byte >= 0x20 && byte < 0x7f && byte != 0x22 && byte != 0x5c }
        for byte in UInt8(0)...255 {
            for position in 0..<8 {
                for filler: UInt8 in [0x41, 0x20, 0x7e, 0x00, 0xff] {
                    var word: UInt64 = 0
                    for index in 0..<8 { word |= UInt64(index == position ? byte : filler) << UInt64(8 * index) }
                    #expect(JSONBuffer.isPlainASCII(word) == (plain(byte) && plain(filler)), "byte \(byte) at \(position), filler \(filler)")
                }
            }
        }
    }

    @Test func escapesAreTheShortFormsOrLowercaseU00XX() {
        #expect(Self.line([0x0a, 0x0d, 0x09]) == Array(#"{"v":"\n\r\t"}"#.utf8) + [0x0a])
        #expect(Self.line([0x00, 0x08, 0x0c, 0x1f, 0x7f]) == Array(#"{"v":"\u0000\u0008\u000c\u001f\u007f"}"#.utf8) + [0x0a])
        #expect(Self.line(Array(#""\"#.utf8)) == Array(#"{"v":"\"\\"}"#.utf8) + [0x0a])
    }

    /// Random bytes, biased towards the interesting ones: always valid UTF-8 JSON, always what
    /// `String(decoding:)` gives, always the previous writer's bytes for that string.
    @Test func randomBytesMatchSwiftDecodingAndThePreviousWriter() throws {
        var generator = SeededGenerator(state: 0x6a736f6e)
        let interesting: [UInt8] = [0x00, 0x0a, 0x1f, 0x22, 0x5c, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf,
                                    0xe0, 0xed, 0xee, 0xef, 0xf0, 0xf4, 0xf5, 0xf8, 0xfc, 0xfe, 0xff, 0x41]
        for _ in 0..<5000 {
            let length = Int.random(in: 0...24, using: &generator)
            let bytes = (0..<length).map { _ in
                Bool.random(using: &generator) ? interesting.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            let line = Self.line(bytes)
            let expected = String(decoding: bytes, as: UTF8.self)
            #expect(line == Self.legacy(expected), "bytes \(bytes)")
            #expect(try Self.decoded(line) == expected, "bytes \(bytes)")
        }
    }

    @Test func stringsAreWrittenAsThePreviousWriterDid() {
        for text in ["", "plain", "tab\there", "line\nbreak", "quote\"back\\slash", "\u{0}\u{1}\u{7f}\u{80}\u{9f}",
                     "ünïcödé ☃ 😀", "\u{2028}\u{2029}", String(repeating: "x", count: 300)] {
            var json = JSONBuffer()
            json.beginRecord()
            json.field("v", text)
            json.endRecord()
            #expect(json.bytes == Self.legacy(text), "\(text.debugDescription)")
        }
    }

    /// Certificate string types transcoded straight into the line, against Detector's decoding.
    @Test func directoryStringsMatchDecodedText() throws {
        var generator = SeededGenerator(state: 0x646e)
        for tag: UInt32 in [12, 19, 22, 20, 30, 28, 4] {
            for _ in 0..<1000 {
                let length = Int.random(in: 0...17, using: &generator)
                var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if tag == 30 && Bool.random(using: &generator) {  // surrogates, paired and not
                    bytes += [0xd8, 0x3d, 0xde, 0x00, 0xdc, 0x00, 0xd8, 0x00, 0x00, 0x41]
                }
                if tag == 28 && Bool.random(using: &generator) {
                    bytes += [0x00, 0x01, 0xf6, 0x00, 0x00, 0x00, 0xd8, 0x00, 0x00, 0x11, 0x00, 0x00]
                }
                var json = JSONBuffer()
                json.beginRecord()
                json.key("v")
                LeafCertificateFields.directoryString(tag: tag, bytes.span, into: &json)
                json.endRecord()
                let expected = DistinguishedName.decodedText(tag: tag, bytes.span)
                #expect(json.bytes == Self.legacy(expected), "tag \(tag) bytes \(bytes)")
                #expect(try Self.decoded(json.bytes) == expected)
            }
        }
    }

    /// The table through python3's json module too: a second, independent parser.
    @Test func pythonReadsTheTableBack() throws {
        var lines: [UInt8] = []
        var expected: [String] = []
        for row in Self.table {
            lines += Self.line(row.bytes)
            expected.append(row.expected)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import json,sys\nfor l in sys.stdin.buffer: sys.stdout.write(json.dumps(json.loads(l)['v']) + '\\n')"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(lines))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let values = try String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map { try JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) as? String }
        #expect(values == expected.map { Optional($0) })
    }
}
