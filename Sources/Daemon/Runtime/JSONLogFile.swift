#if canImport(Glibc)
import Glibc
#endif

/// An NDJSON log file opened with O_APPEND (so logrotate's copy-free rotation works with a
/// reopen on SIGHUP). A failed line is counted and the failure reported once per failure spell;
/// writing is retried on the next line, so logging resumes by itself when the disk has room
/// again or the directory is back.
///
/// Lines are whole or absent: a line the disk had room for only in part (ENOSPC, EDQUOT, EFBIG
/// midway) is cut off again, so the next line never lands glued to half a record. A file that was
/// deleted under the daemon (its directory removed, say) is noticed at the next line and opened
/// anew at its path, instead of writing on into a file nobody can read.
final class JSONLogFile {
    let path: String
    private var descriptor: Int32 = -1
    private(set) var failedWrites: UInt64 = 0
    private(set) var lastError: String?
    /// Where alerts still go while the file cannot be written (said in the warning).
    var fallback: String
    /// Called once when writing starts failing, and once when it works again.
    private let onStateChange: (String) -> Void

    init(path: String, fallback: String = "the journal", onStateChange: @escaping (String) -> Void = { _ in }) {
        self.path = path
        self.fallback = fallback
        self.onStateChange = onStateChange
        reopen()
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Closes and opens the file again (after rotation). A failure is reported (once per spell)
    /// and the next line tries again.
    func reopen() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = unsafe open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        if descriptor < 0 { report("cannot open: " + Self.errorText()) }
    }

    /// Writes one line; false when it could not be written (the caller still has the journal or stderr).
    @discardableResult
    func write(_ line: String) -> Bool {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        return write(lines: bytes)
    }

    /// Writes whole lines (each ending in `\n`, a session's records) with one `write(2)` when the
    /// disk takes them; false when some could not be written. Those that were written whole stay,
    /// a line written in part is cut off again, and every line not written is counted.
    @discardableResult
    func write(lines: [UInt8]) -> Bool {
        guard !lines.isEmpty else { return true }
        if descriptor < 0 || isUnlinked { reopen() }
        guard descriptor >= 0 else {
            failedWrites += Self.lineCount(lines[...])
            return false
        }
        // Where the lines start, so that a line written in part can be cut off again.
        let start = lseek(descriptor, 0, SEEK_END)
        var offset = 0
        let error = unsafe lines.withUnsafeBufferPointer { buffer -> Int32 in
            while offset < buffer.count {
                let count = unsafe Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return count == 0 ? EIO : errno }
                offset += count
            }
            return 0
        }
        if error == 0 {
            if lastError != nil {
                lastError = nil
                onStateChange("JSON log \(path) is writable again")
            }
            return true
        }
        // Keep the lines written whole: cut back to just after the last newline that made it.
        let whole = lines[..<offset].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        if start >= 0 { _ = ftruncate(descriptor, start + off_t(whole)) }
        failedWrites += Self.lineCount(lines[whole...])
        report("write failed: " + Self.errorText(error))
        close(descriptor)
        descriptor = -1
        return false
    }

    private static func lineCount(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        UInt64(max(1, bytes.reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }))
    }

    /// The open file has no name left (deleted, or its directory removed).
    private var isUnlinked: Bool {
        var status = stat()
        // unsafe: fstat fills the one local `stat`.
        return unsafe fstat(descriptor, &status) == 0 && status.st_nlink == 0
    }

    /// Notes why the file cannot be written; said once per failure spell.
    private func report(_ reason: String) {
        if lastError == nil { onStateChange("JSON log \(path): \(reason); alerts still go to \(fallback)") }
        lastError = reason
    }

    static func errorText(_ code: Int32 = errno) -> String { unsafe String(cString: strerror(code)) }
}
