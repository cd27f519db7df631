import Wire

/// A capture file (pcap or pcapng), read by our own parser (`CaptureFileReader`) over the file
/// mapped into memory. (libpcap is used for live capture only: it cannot read a pcapng whose
/// interfaces differ in link type, which is what `dumpcap -i eth0 -i wg0` writes.)
public final class PcapFile {
    public typealias Outcome = CaptureOutcome

    public let path: String
    public let format: CaptureFormat
    private let contents: CaptureFileBytes
    private let bufferLimit: Int
    /// What the last `forEachPacket` found: link types, drops, skipped blocks, how it ended.
    public private(set) var report = CaptureReadReport()

    public struct OpenError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot read capture \(path): \(reason)" }
    }

    /// What is read into memory from input that cannot be mapped (a pipe). A capture piped in
    /// must be held whole (the reader works on one span), so this bounds it; a bigger one
    /// should be written to a file, which is mapped instead and has no such limit.
    public static let defaultBufferLimit = 1 << 30

    /// Opens and maps `path` ("-" reads standard input) and checks that it is a capture; input
    /// that cannot be mapped is read into memory, at most `bufferLimit` bytes of it.
    public init(path: String, bufferLimit: Int = PcapFile.defaultBufferLimit) throws(OpenError) {
        self.path = path
        self.bufferLimit = bufferLimit
        do {
            contents = try CaptureFileBytes(path: path, bufferLimit: bufferLimit)
            format = try contents.withBytes { bytes throws(CaptureFormatError) in try CaptureFormat.of(bytes) }
        } catch {
            throw OpenError(path: path, reason: error.reason)
        }
    }

    /// The same file for another thread: its bytes (one mapping) shared, its own read report.
    public struct Shared: Sendable {
        fileprivate let path: String
        fileprivate let format: CaptureFormat
        fileprivate let contents: CaptureFileBytes
        fileprivate let bufferLimit: Int
    }

    public var shared: Shared { Shared(path: path, format: format, contents: contents, bufferLimit: bufferLimit) }

    public init(_ shared: Shared) {
        path = shared.path
        format = shared.format
        contents = shared.contents
        bufferLimit = shared.bufferLimit
    }

    /// Bytes of the file (mapped, or read from a pipe).
    public var byteCount: Int { contents.withBytes { $0.count } }

    /// Whether the file is mapped (a regular file) rather than read from a pipe: only a mapped
    /// file can be opened again by another reader and give the same bytes.
    public var isMapped: Bool { contents.isMapped }

    /// The distinct link types of the file's interfaces (known once the file has been read).
    public var linkTypes: [LinkType] { report.linkTypes }

    /// Calls `body` with each packet's captured bytes (valid only during the call), its length
    /// on the wire, its timestamp and the link type of the interface it was captured on.
    public func forEachPacket(_ body: CapturePacketHandler) -> Outcome {
        var report: CaptureReadReport
        do {
            report = try contents.withBytes { bytes throws(CaptureFormatError) in
                try CaptureFileReader.read(bytes, body)
            }
        } catch {
            report = CaptureReadReport()  // unreachable: init checked the format of the same bytes
            report.outcome = .truncated(error.reason)
        }
        if contents.cutShort {
            let cut = "only the first \(bufferLimit) bytes of input that cannot be "
                + "mapped (a pipe) are read; write the capture to a file to read it whole"
            if case .truncated(let reason) = report.outcome {
                report.outcome = .truncated(reason + "; " + cut)
            } else {
                report.outcome = .truncated(cut)
            }
        }
        self.report = report
        return report.outcome
    }
}
