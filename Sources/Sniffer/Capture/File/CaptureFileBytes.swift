import Wire

#if canImport(Glibc)
import Glibc
#endif

/// The bytes of one capture file while it is read: the file mapped read-only (MAP_PRIVATE), or,
/// for what cannot be mapped (a pipe, standard input as `-`), read into one buffer.
///
/// This is the whole unsafe core of capture-file reading: the mapping is made here, unmapped
/// in `deinit`, and only ever lent out as a `Span` for the duration of `withBytes`, so no view of
/// it can outlive it. Everything that reads the bytes is safe code over that span.
///
/// A mapped file that another process truncates while it is read raises SIGBUS on the pages
/// past the new end (true of every reader that maps, and why the mapping is never kept longer
/// than the read). Growing it (dumpcap still writing) is harmless: only the size seen at open
/// is read.
///
/// Several `read` workers read the same file at once: every stored property is a constant set in
/// `init`, the mapping is read-only and the buffer never changes, so the object is shared between
/// threads as it is (one mapping, counted once in the resident set), never written.
@safe
final class CaptureFileBytes: @unchecked Sendable {
    private let mapping: UnsafeMutableRawPointer?
    private let mappedCount: Int
    private let buffer: [UInt8]
    /// Input that could not be mapped and was longer than the buffer limit: only its first
    /// `bufferLimit` bytes are here.
    let cutShort: Bool

    /// Opens `path` ("-" is standard input); the error is errno's text. Input that cannot be
    /// mapped is read into memory up to `bufferLimit` bytes.
    init(path: String, bufferLimit: Int) throws(CaptureFormatError) {
        // unsafe: the path is passed to open(2) as a C string that lives for the call.
        let descriptor = path == "-" ? STDIN_FILENO : unsafe open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CaptureFormatError(Self.lastError()) }
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }

        var status = stat()
        guard unsafe fstat(descriptor, &status) == 0 else { throw CaptureFormatError(Self.lastError()) }
        let kind = status.st_mode & S_IFMT
        guard kind != S_IFDIR else { throw CaptureFormatError("it is a directory") }
        if kind == S_IFREG, status.st_size > 0,
           let mapped = unsafe mmap(nil, Int(status.st_size), PROT_READ, MAP_PRIVATE, descriptor, 0),
           unsafe mapped != UnsafeMutableRawPointer(bitPattern: -1) {  // MAP_FAILED
            // unsafe: a fresh read-only mapping of st_size bytes, owned by this object.
            unsafe mapping = mapped
            mappedCount = Int(status.st_size)
            buffer = []
            cutShort = false
            // unsafe: advice only; a failure changes nothing.
            _ = unsafe madvise(mapped, mappedCount, MADV_SEQUENTIAL)
            return
        }
        // An empty regular file, or one mmap refused, or a pipe, a socket, a terminal: read it.
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var cut = false
        while true {
            let wanted = min(chunk.count, bufferLimit - bytes.count)
            if wanted == 0 {
                // Past the limit only if there is more: a capture exactly the limit is whole.
                var probe: UInt8 = 0
                cut = unsafe read(descriptor, &probe, 1) > 0
                break
            }
            // unsafe: read(2) writes at most `wanted` bytes into the chunk's own storage.
            let count = unsafe chunk.withUnsafeMutableBytes { unsafe read(descriptor, $0.baseAddress, wanted) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw CaptureFormatError(Self.lastError()) }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        unsafe mapping = nil
        mappedCount = 0
        buffer = bytes
        cutShort = cut
    }

    deinit {
        // unsafe: unmaps exactly the mapping made in init; no span of it survives `withBytes`.
        if let mapping = unsafe mapping { _ = unsafe munmap(mapping, mappedCount) }
    }

    /// Runs `body` with the file's bytes, valid only during the call.
    var isMapped: Bool { unsafe mapping != nil }

    func withBytes<R, E: Error>(_ body: (Span<UInt8>) throws(E) -> R) throws(E) -> R {
        if let mapping = unsafe mapping {
            // unsafe: the mapping holds `mappedCount` readable bytes until deinit, which cannot
            // run while `self` is borrowed for this call; the span cannot escape `body`.
            let span = unsafe Span<UInt8>(_unsafeStart: mapping.assumingMemoryBound(to: UInt8.self), count: mappedCount)
            return try body(span)
        }
        let buffer = self.buffer  // a reference to the same storage, borrowed for the call
        return try body(buffer.span)
    }

    private static func lastError() -> String {
        // unsafe: strerror returns a static NUL-terminated message, copied at once.
        unsafe String(cString: strerror(errno))
    }
}
