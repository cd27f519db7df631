import Foundation
import Testing
import TestSupport

/// `mitmwatch read` on a pcapng whose interfaces differ in link type, as `dumpcap -i eth0 -i wg0`
/// writes it (made here with editcap and mergecap from the real captures): libpcap refused such
/// a file after its first interface; every session of both interfaces must come out.
@Suite struct ReadMixedLinkTypesTests {
    static let real = ReadCommandTests.root.appendingPathComponent("Tests/SnifferTests/Fixtures/real").path

    /// The (client, server) pairs the truth files of the merged captures list.
    static func expectedConnections() throws -> Set<String> {
        var pairs = Set<String>()
        for name in WiresharkTools.ethernetCaptures + WiresharkTools.rawIPCaptures {
            let data = try Data(contentsOf: URL(fileURLWithPath: real + "/" + name + ".expected.json"))
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            for connection in json["connections"] as? [[String: Any]] ?? [] {
                pairs.insert("\(connection["client"] ?? "") \(connection["server"] ?? "")")
            }
        }
        return pairs
    }

    @Test func everySessionOfBothInterfacesIsReported() throws {
        let tools = try WiresharkTools()
        let path = try tools.mixedLinkTypes(realCaptures: Self.real)
        let result = try ReadCommandTests.run(["read", "--format", "json", "--events", "sessions",
                                               "--summary-format", "json", path])
        #expect(result.status == 0, "\(result.stderr)")
        var seen = Set<String>()
        for record in try ReadCommandTests.records(result) {
            let source = record["source"] as? [String: Any], destination = record["destination"] as? [String: Any]
            seen.insert("\(source?["ip"] ?? ""):\(source?["port"] ?? "") "
                + "\(destination?["ip"] ?? ""):\(destination?["port"] ?? "")")
        }
        let expected = try Self.expectedConnections()
        #expect(expected.count == 6)
        #expect(seen == expected)
        #expect(result.lines.count == expected.count)

        let summary = try JSONSerialization.jsonObject(with: Data(result.stderr.utf8)) as? [String: Any]
        let file = (summary?["files"] as? [[String: Any]])?.first
        #expect(file?["link_type"] as? String == "mixed")
        #expect(file?["link_types"] as? [String] == ["EN10MB", "RAW"])
        #expect(file?["format"] as? String == "pcapng")
        #expect(file?["packets"] as? Int == 186)
        #expect(file?["truncated"] == nil)
        #expect((summary?["counters"] as? [String: Any])?["tls_sessions"] as? Int == 6)
    }

    @Test func theTextSummaryListsTheLinkTypes() throws {
        let tools = try WiresharkTools()
        let path = try tools.mixedLinkTypes(realCaptures: Self.real)
        let result = try ReadCommandTests.run(["read", "--events", "alerts", path])
        #expect(result.status == 0)
        #expect(result.stderr.contains("file \(path): 186 packets, link types EN10MB, RAW\n"), "\(result.stderr)")
        let single = try ReadCommandTests.run(["read", "--events", "alerts", ReadCommandTests.demo])
        #expect(single.stderr.contains("packets, link type EN10MB\n"))
    }

    static func littleEndian32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { value, index in value | UInt32(bytes[offset + index]) << (8 * index) }
    }

    @Test func packetsOnAnUndescribedInterfaceAreCountedInTheSummary() throws {
        // The mixed capture with its second interface description removed: its packets name an
        // interface the file never described.
        let tools = try WiresharkTools()
        let path = try tools.mixedLinkTypes(realCaptures: Self.real)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var offset = 0, interfaces = 0
        while offset + 8 <= bytes.count {
            let type = Self.littleEndian32(bytes, offset)
            let length = Int(Self.littleEndian32(bytes, offset + 4))
            if type == 1 {
                interfaces += 1
                if interfaces == 2 {
                    bytes.removeSubrange(offset..<(offset + length))
                    break
                }
            }
            offset += length
        }
        let damaged = tools.path("one-interface.pcapng")
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let result = try ReadCommandTests.run(["read", "--events", "sessions", "--format", "json",
                                               "--summary-format", "json", damaged])
        #expect(result.status == 0)
        #expect(result.lines.count == 3)  // the Ethernet interface's sessions
        let summary = try JSONSerialization.jsonObject(with: Data(result.stderr.utf8)) as? [String: Any]
        let file = (summary?["files"] as? [[String: Any]])?.first
        #expect((file?["packets_dropped"] as? [String: Any])?["unknown_interface"] as? Int == 138)
        #expect(file?["link_type"] as? String == "EN10MB")
        let text = try ReadCommandTests.run(["read", "--events", "alerts", damaged])
        #expect(text.stderr.contains("138 packets dropped (138 on an interface the file does not describe)"),
                "\(text.stderr)")
    }
}
