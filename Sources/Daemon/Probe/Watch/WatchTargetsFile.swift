import Foundation

/// `probe.targets_file`: a watch list kept in its own file — one target per line as
/// `probe.targets` takes them, blank lines and `#` comments ignored — so a list such as the
/// shipped `watchlists/kazakhstan-2019.txt` carries its sources beside its names.
enum WatchTargetsFile {
    /// A watch list is a few dozen to a few thousand names; a file far larger is a mistake.
    static let maxBytes = 1 << 20

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static func read(_ path: String) throws(Invalid) -> [WatchTarget] {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let attributes else { throw Invalid(description: "\(path) cannot be read") }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw Invalid(description: "\(path) is not a regular file")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Invalid(description: "\(path) cannot be read") }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maxBytes + 1)) ?? Data()
        guard data.count <= maxBytes else { throw Invalid(description: "\(path) is larger than \(maxBytes) bytes") }
        return try parse(String(decoding: data, as: UTF8.self), naming: path)
    }

    static func parse(_ text: String, naming path: String) throws(Invalid) -> [WatchTarget] {
        var targets: [WatchTarget] = []
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let content = line.prefix { $0 != "#" }.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !content.isEmpty else { continue }
            do {
                targets.append(try WatchTarget(parsing: content))
            } catch {
                throw Invalid(description: "\(path) line \(index + 1): \(error.description)")
            }
        }
        return targets
    }
}
