import Foundation

/// Builds TLS handshake bytes for tests: records, messages and certificates from real PEM files.
public enum TLSBytes {
    public static func u16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }
    public static func u24(_ value: Int) -> [UInt8] { [UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }

    public static func record(_ type: UInt8, _ body: [UInt8], version: Int = 0x0303) -> [UInt8] {
        [type] + u16(version) + u16(body.count) + body
    }

    /// Splits handshake bytes over as many records as needed, each at most `maxFragment` long.
    public static func records(_ type: UInt8, _ body: [UInt8], maxFragment: Int = 16384) -> [UInt8] {
        var out: [UInt8] = []
        var start = 0
        while start < body.count {
            let end = min(body.count, start + maxFragment)
            out += record(type, Array(body[start..<end]))
            start = end
        }
        return out
    }

    public static func handshake(_ type: UInt8, _ body: [UInt8]) -> [UInt8] { [type] + u24(body.count) + body }

    public static func clientHello(sni: String?, supportedVersions: [Int] = [], keyShareGroups: [Int] = []) -> [UInt8] {
        clientHello(sniBytes: sni.map { Array($0.utf8) }, supportedVersions: supportedVersions, keyShareGroups: keyShareGroups)
    }

    /// A ClientHello whose server name is these bytes exactly (hostile ones included).
    public static func clientHello(sniBytes: [UInt8]?, supportedVersions: [Int] = [], keyShareGroups: [Int] = []) -> [UInt8] {
        var extensions: [UInt8] = []
        if !keyShareGroups.isEmpty {  // key_share (51): one 32-byte share per group
            let shares = keyShareGroups.flatMap { u16($0) + u16(32) + Array(repeating: 0x42, count: 32) }
            extensions += u16(51) + u16(shares.count + 2) + u16(shares.count) + shares
        }
        if let name = sniBytes {
            let entry: [UInt8] = [0] + u16(name.count) + name
            extensions += u16(0) + u16(entry.count + 2) + u16(entry.count) + entry
        }
        if !supportedVersions.isEmpty {
            let list = supportedVersions.flatMap(u16)
            extensions += u16(43) + u16(list.count + 1) + [UInt8(list.count)] + list
        }
        let body: [UInt8] = u16(0x0303) + Array(repeating: 0x11, count: 32) + [0] + u16(4) + u16(0xc02f) + u16(0x1301)
            + [1, 0] + u16(extensions.count) + extensions
        return handshake(1, body)
    }

    public static func serverHello(version: Int = 0x0303, supportedVersion: Int? = nil, scts: [[UInt8]]? = nil,
                                   alpn: String? = nil, emptyExtensions: [Int] = [], keyShareGroup: Int? = nil) -> [UInt8] {
        var extensions: [UInt8] = []
        if let keyShareGroup { extensions += u16(51) + u16(36) + u16(keyShareGroup) + u16(32) + Array(repeating: 0x43, count: 32) }
        for type in emptyExtensions { extensions += u16(type) + u16(0) }
        if let alpn {  // application_layer_protocol_negotiation (16): a list of one name
            let name = Array(alpn.utf8)
            extensions += u16(16) + u16(name.count + 3) + u16(name.count + 1) + [UInt8(name.count)] + name
        }
        if let supportedVersion { extensions += u16(43) + u16(2) + u16(supportedVersion) }
        if let scts {  // signed_certificate_timestamp (18): SignedCertificateTimestampList
            let list = scts.flatMap { u16($0.count) + $0 }
            extensions += u16(18) + u16(list.count + 2) + u16(list.count) + list
        }
        let body: [UInt8] = u16(version) + Array(repeating: 0x22, count: 32) + [0] + u16(0xc02f) + [0]
            + u16(extensions.count) + extensions
        return handshake(2, body)
    }

    public static func certificate(_ chain: [[UInt8]]) -> [UInt8] {
        let list = chain.flatMap { u24($0.count) + $0 }
        return handshake(11, u24(list.count) + list)
    }

    public static let serverHelloDone = handshake(14, [])

    /// DER certificates from PEM files of `../shared/indicators/certs` (real certificates).
    public static func indicatorCertificates(_ count: Int) throws -> [[UInt8]] {
        let shared = ProcessInfo.processInfo.environment["MITMWATCH_SHARED"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared").path
        let directory = shared + "/indicators/certs"
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".pem") }.sorted()
        return try names.prefix(count).map { name in
            let pem = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            let base64 = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            guard let der = Data(base64Encoded: base64) else { throw CocoaError(.fileReadCorruptFile) }
            return [UInt8](der)
        }
    }

    /// The SHA-256 the sniffer should report, computed independently with `openssl dgst`.
    public static func opensslSHA256(_ der: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "mitmwatch-\(UUID().uuidString).der"
        try Data(der).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["dgst", "-sha256", "-r", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return String(output.prefix(64))
    }
}
