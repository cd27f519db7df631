import Foundation
import Sniffer
import Certificates

/// Rule 3: `pin-mismatch` — for server names matching a configured pin, at least one certificate
/// of the chain (as sent, or as OpenSSL builds it to a trust anchor) must have a pinned SPKI.
/// A malformed chain is not judged (`malformed-chain`).
public struct PinMismatchRule: DetectionRule {
    public struct Pin: Sendable, Equatable {
        /// `example.com` (exactly) or `*.example.com` (any name below it).
        public var names: [String]
        /// Lowercase hex SPKI SHA-256 of the CA keys allowed for those names.
        public var spkiSHA256: Set<String>
        public var note: String?

        public init(names: [String], spkiSHA256: Set<String>, note: String?) {
            self.names = names
            self.spkiSHA256 = spkiSHA256
            self.note = note
        }
    }

    public let pins: [Pin]
    public let validator: ChainValidator?

    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var reason: String
        public var description: String { "pins \(path): \(reason)" }
    }

    public init(pins: [Pin], validator: ChainValidator?) {
        self.pins = pins
        self.validator = validator
    }

    /// `{"pins": [{"names": [...], "spki_sha256": [...], "note": "..."}]}`.
    public static func load(path: String) throws(LoadError) -> [Pin] {
        struct File: Decodable {
            struct Entry: Decodable {
                var names: [String]
                var spki_sha256: [String]
                var note: String?
            }
            var pins: [Entry]
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw LoadError(path: path, reason: "\(error)")
        }
        var pins: [Pin] = []
        for (index, entry) in file.pins.enumerated() {
            guard !entry.names.isEmpty else { throw LoadError(path: path, reason: "pins[\(index)].names is empty") }
            let keys = entry.spki_sha256.map { $0.lowercased().replacingOccurrences(of: ":", with: "") }
            for key in keys where key.count != 64 || !key.allSatisfy(\.isHexDigit) {
                throw LoadError(path: path, reason: "pins[\(index)].spki_sha256: not an SPKI SHA-256 (64 hex digits): \(key)")
            }
            guard !keys.isEmpty else { throw LoadError(path: path, reason: "pins[\(index)].spki_sha256 is empty") }
            pins.append(Pin(names: entry.names.map { $0.lowercased() }, spkiSHA256: Set(keys), note: entry.note))
        }
        return pins
    }

    static func matches(_ pattern: String, _ name: String) -> Bool {
        if pattern.hasPrefix("*.") { return name.hasSuffix(pattern.dropFirst(1)) && name.count > pattern.count - 1 }
        return name == pattern
    }

    public func evaluate(_ context: borrowing ChainContext, into findings: inout [Finding]) {
        guard !context.isMalformed, let sni = context.serverName.flatMap(HostName.normalise) else { return }
        let applicable = pins.filter { pin in pin.names.contains { Self.matches($0, sni) } }
        guard !applicable.isEmpty else { return }
        var keys = Set(context.certificates.compactMap { $0.spkiSHA256?.description })
        if let validator { keys.formUnion(validator.verify(context).chainSPKISHA256) }
        for pin in applicable where pin.spkiSHA256.isDisjoint(with: keys) {
            findings.append(Finding(rule: .pinMismatch, position: 0, issuingCA: context.leaf.flatMap(IssuingCA.init),
                                    evidence: .pinMismatch(names: pin.names, note: pin.note)))
        }
    }
}
