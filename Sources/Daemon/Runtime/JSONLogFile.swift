#if canImport(Glibc)
import Glibc
#endif

/// An NDJSON log file opened with O_APPEND (so logrotate's copy-free rotation works with a
/// reopen on SIGHUP). A failed write is counted and reported once per failure spell; writing is
/// retried on the next line, so logging resumes by itself when the disk has room again.
final class JSONLogFile {
    let path: String
    private var descriptor: Int32 = -1
    private(set) var failedWrites: UInt64 = 0
    private(set) var lastError: String?
    /// Called once when writing starts failing, and once when it works again.
    var onStateChange: (String) -> Void = { _ in }

    init(path: String) {
        self.path = path
        reopen()
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Closes and opens the file again (after rotation).
    func reopen() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = unsafe open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        if descriptor < 0 { fail("cannot open: " + Self.errorText()) }
    }

    /// Writes one line; false when it could not be written (the caller still has the journal).
    @discardableResult
    func write(_ line: String) -> Bool {
        if descriptor < 0 { reopen() }
        guard descriptor >= 0 else { return false }
        var text = line + "\n"
        let complete = text.withUTF8 { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let written = unsafe Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
            return true
        }
        if complete {
            if lastError != nil {
                lastError = nil
                onStateChange("JSON log \(path) is writable again")
            }
            return true
        }
        fail("write failed: " + Self.errorText())
        close(descriptor)
        descriptor = -1
        return false
    }

    private func fail(_ reason: String) {
        failedWrites += 1
        if lastError == nil { onStateChange("JSON log \(path): \(reason); alerts still go to the journal") }
        lastError = reason
    }

    static func errorText() -> String { unsafe String(cString: strerror(errno)) }
}
