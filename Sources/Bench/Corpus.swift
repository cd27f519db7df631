import Foundation

/// Every certificate of a corpus directory, as DER, packed end to end in one buffer so the
/// measured loops touch no array-of-arrays (no retain/release per certificate).
struct Corpus {
    /// All certificates' DER, back to back.
    var storage: [UInt8] = []
    /// Where each certificate lies in `storage`.
    var ranges: [Range<Int>] = []
    /// Files that held at least one certificate.
    var files = 0
    /// Certificates seen more than once (the same DER in several files, e.g. /etc/ssl/certs's
    /// hash links and bundle) and kept only once.
    var duplicates = 0

    var count: Int { ranges.count }

    /// Loads every PEM `CERTIFICATE` block and every whole-file DER certificate under `directory`
    /// (recursively; symbolic links to files are read, links to directories are not followed).
    static func load(directory: String) throws -> Corpus {
        let root = URL(fileURLWithPath: directory)
        guard let enumerator = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.isDirectoryKey], options: []
        ) else {
            throw BenchError("cannot list \(directory)")
        }
        var paths: [String] = []
        for case let url as URL in enumerator {
            // Not following links here: a link to a file reads as a file, a link to a directory is skipped.
            let isDirectory = (try? url.resourceValues(forKeys: [.isDirectoryKey]))?.isDirectory ?? true
            if !isDirectory { paths.append(url.path) }
        }
        paths.sort()

        var corpus = Corpus()
        var seen = Set<[UInt8]>()
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let certificates = certificates(in: [UInt8](data))
            if !certificates.isEmpty { corpus.files += 1 }
            for der in certificates {
                guard seen.insert(der).inserted else {
                    corpus.duplicates += 1
                    continue
                }
                corpus.append(der)
            }
        }
        return corpus
    }

    mutating func append(_ der: [UInt8]) {
        let start = storage.count
        storage.append(contentsOf: der)
        ranges.append(start..<storage.count)
    }

    /// A new corpus with only the certificates `keep` accepts.
    func filter(_ keep: (Int) -> Bool) -> Corpus {
        var result = Corpus(files: files, duplicates: duplicates)
        for index in ranges.indices where keep(index) {
            result.append(Array(storage[ranges[index]]))
        }
        return result
    }

    // MARK: File formats (not the measured path)

    private static let pemBegin = Array("-----BEGIN CERTIFICATE-----".utf8)
    private static let pemEnd = Array("-----END CERTIFICATE-----".utf8)

    static func certificates(in file: [UInt8]) -> [[UInt8]] {
        if let first = firstIndex(of: pemBegin, in: file, from: 0) {
            return pemCertificates(in: file, from: first)
        }
        if isWholeDERSequence(file) { return [file] }
        return []
    }

    private static func pemCertificates(in file: [UInt8], from first: Int) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var position = first
        while let begin = firstIndex(of: pemBegin, in: file, from: position) {
            let bodyStart = begin + pemBegin.count
            guard let end = firstIndex(of: pemEnd, in: file, from: bodyStart) else { break }
            let body = Data(file[bodyStart..<end])
            if let der = Data(base64Encoded: body, options: .ignoreUnknownCharacters), !der.isEmpty {
                result.append([UInt8](der))
            }
            position = end + pemEnd.count
        }
        return result
    }

    /// True when the file is exactly one DER SEQUENCE (tag 0x30, definite length covering the rest).
    private static func isWholeDERSequence(_ file: [UInt8]) -> Bool {
        guard file.count >= 2, file[0] == 0x30 else { return false }
        let first = Int(file[1])
        if first < 0x80 { return 2 + first == file.count }
        let octets = first & 0x7f
        guard octets >= 1, octets <= 4, file.count >= 2 + octets else { return false }
        var length = 0
        for index in 0..<octets { length = length << 8 | Int(file[2 + index]) }
        return 2 + octets + length == file.count
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0], haystack[index..<index + needle.count].elementsEqual(needle) {
                return index
            }
            index += 1
        }
        return nil
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
