import Foundation

/// Captures made at test time with Wireshark's command-line tools (editcap, mergecap, tshark;
/// Debian package `tshark`, installed by scripts/setup.sh), in a temporary directory.
public final class WiresharkTools {
    public let directory: String

    public init() throws {
        directory = NSTemporaryDirectory() + "mitmwatch-wireshark-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    public func path(_ file: String) -> String { directory + "/" + file }

    /// Runs `/usr/bin/<tool>` with `arguments`; its stdout, or an error with its stderr.
    @discardableResult
    public func run(_ tool: String, _ arguments: [String]) throws -> String {
        try ToolProcess.run("/usr/bin/" + tool, arguments, in: directory)
    }

    /// The real captures (Tests/SnifferTests/Fixtures/real) on each interface of `mixedLinkTypes`.
    public static let ethernetCaptures = ["tls12-rsa-3chain", "tls13-rsa", "gnutls-tls12"]
    public static let rawIPCaptures = ["tls10-ecdsa-3chain", "tls11-ecdsa-3chain", "tls12-big-chain-segmented"]

    /// A pcapng as `dumpcap -i eth0 -i wg0` writes it: an Ethernet interface and a raw-IP one
    /// (LINKTYPE_RAW), each carrying complete TLS sessions, packets in time order. The raw-IP
    /// captures are Ethernet ones with the 14-byte header cut off (`editcap -C 14 -T rawip`);
    /// `mergecap -I any` gives identical interfaces one description, so the file has two.
    public func mixedLinkTypes(realCaptures: String) throws -> String {
        var inputs = Self.ethernetCaptures.map { realCaptures + "/" + $0 + ".pcap" }
        for name in Self.rawIPCaptures {
            try run("editcap", ["-C", "14", "-T", "rawip", realCaptures + "/" + name + ".pcap",
                                path("raw-" + name + ".pcap")])
            inputs.append(path("raw-" + name + ".pcap"))
        }
        try run("mergecap", ["-I", "any", "-F", "pcapng", "-w", path("mixed.pcapng")] + inputs)
        return path("mixed.pcapng")
    }
}
