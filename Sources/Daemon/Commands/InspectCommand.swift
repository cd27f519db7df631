import ArgumentParser
import Detector
import Output

#if canImport(Glibc)
import Glibc
import Certificates
#endif

/// `mitmwatch inspect FILE...`: every field of PEM or DER certificates.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print every field of PEM or DER certificates (one or many per file)."
    )

    @Argument(help: "Certificate files: PEM (any number of CERTIFICATE blocks) or DER.")
    var files: [String]

    @Option(help: "Output format: text (for people) or json (one ECS object per certificate per line).")
    var format: ReadCommand.Format = .text

    mutating func run() throws {
        var failures = 0
        for path in files {
            let entries: [CertificateFile.Entry]
            do {
                entries = try CertificateFile.entries(in: try FileBytes.read(path))
            } catch {
                printToStandardError("mitmwatch: \(path): \(error)")
                failures += 1
                continue
            }
            if entries.isEmpty {
                printToStandardError("mitmwatch: \(path): no certificate found")
                failures += 1
            }
            for entry in entries {
                do {
                    let view = try CertificateView(der: entry.der.span)
                    let description = CertificateDescription(view)
                    var record = JSONBuffer()
                    if format == .json {
                        CertificateRecord.write(description, path: path, location: entry.location, into: &record)
                    } else {
                        record.appendLine(CertificateRecord.text(description, path: path, location: entry.location) + "\n")
                    }
                    StandardStreams.write(record.bytes)
                } catch {
                    printToStandardError("mitmwatch: \(path) (\(entry.location)): \(error)")
                    failures += 1
                }
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

/// Whole-file reads for small inputs (certificates, configuration).
enum FileBytes {
    struct Failure: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "cannot read \(path): \(reason)" }
    }

    static func exists(_ path: String, isDirectory: inout Bool) -> Bool {
        var status = stat()
        guard unsafe stat(path, &status) == 0 else { return false }
        isDirectory = status.st_mode & S_IFMT == S_IFDIR
        return true
    }

    static func read(_ path: String, limit: Int = 64 << 20) throws -> [UInt8] {
        let descriptor = unsafe open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(path: path, reason: unsafe String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = unsafe chunk.withUnsafeMutableBytes { unsafe Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Failure(path: path, reason: unsafe String(cString: strerror(errno))) }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
            guard bytes.count <= limit else { throw Failure(path: path, reason: "larger than \(limit) bytes") }
        }
    }
}
