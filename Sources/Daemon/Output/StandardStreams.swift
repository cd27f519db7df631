import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Unbuffered line output on stdout and stderr, so records and messages keep their order and
/// a record is out the moment it is final (`read` gathers its records into batches of about
/// 64 KiB and writes each with `write(_:)`; the daemon writes each session's lines at once).
///
/// A stream nobody reads any more (the pipe to a logger that died; the daemon ignores SIGPIPE)
/// fails with EPIPE: the line is dropped, counted (`stdoutFailures`, `stderrFailures`), and the
/// first failure of each stream said once in the journal, when there is one (alerts still go to
/// the journal and the JSON log). In the daemon (`neverBlockOnSockets`), a stream that is a
/// socket — journald's stdout stream under systemd — is written without blocking: when its reader
/// stalls and the socket is full, a line waits for room at most `retryAttempts` ×
/// `retryWaitMilliseconds`, then is dropped and counted, and for `noWaitSeconds` after that lines
/// are tried once without waiting, so a stalled reader never stalls a capture thread or the main
/// loop. Pipes, files and terminals block as usual, and so does everything in the other commands
/// (`read` over ssh writes to a socket, and must not drop records).
enum StandardStreams {
    /// Lines that could not be written, on stdout and on stderr.
    static let stdoutFailures = Atomic<UInt64>(0)
    static let stderrFailures = Atomic<UInt64>(0)
    private static let stdoutFailed = Atomic<Bool>(false)
    private static let stderrFailed = Atomic<Bool>(false)
    static let retryWaitMilliseconds: Int32 = 4
    static let retryAttempts = 3
    static let noWaitSeconds = 1.0
    /// Set by the daemon at start: sockets are written without blocking (see above).
    static let neverBlockOnSockets = Atomic<Bool>(false)
    /// Whether stdout and stderr are sockets (looked at once, on first use).
    private static let stdoutIsSocket = isSocket(1)
    private static let stderrIsSocket = isSocket(2)
    /// Until when (monotonic seconds, as bit patterns) a full socket stream is not waited for.
    private static let stdoutNoWaitUntil = Atomic<UInt64>(0)
    private static let stderrNoWaitUntil = Atomic<UInt64>(0)

    static func writeLine(_ text: String, fileDescriptor: Int32 = 1) {
        var line = Array(text.utf8)
        line.append(UInt8(ascii: "\n"))
        write(line, fileDescriptor: fileDescriptor)
    }

    /// Writes whole lines (each ending in `\n`) with as few `write(2)`s as the stream takes. A
    /// failure drops what was not written and counts every line not written whole.
    static func write(_ lines: [UInt8], fileDescriptor: Int32 = 1) {
        guard !lines.isEmpty else { return }
        let socket = neverBlockOnSockets.load(ordering: .relaxed)
            && (fileDescriptor == 1 ? stdoutIsSocket : fileDescriptor == 2 ? stderrIsSocket : false)
        var offset = 0
        let error = unsafe lines.withUnsafeBufferPointer { buffer -> Int32 in
            var waits = 0
            while offset < buffer.count {
                let written = socket
                    ? unsafe send(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
                    : unsafe Glibc.write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    guard waitForRoom(fileDescriptor, waits: &waits) else { return EAGAIN }
                    continue
                }
                guard written > 0 else { return written == 0 ? EIO : errno }
                offset += written
            }
            return 0
        }
        guard error != 0 else { return }
        let unwritten = lines[offset...].reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        failed(fileDescriptor, error, lines: UInt64(max(unwritten, 1)))
    }

    /// A full socket stream: waits up to `retryWaitMilliseconds` for room, unless the waits of this
    /// line are used up or a recent line used them up (then no waiting for `noWaitSeconds`).
    private static func waitForRoom(_ fileDescriptor: Int32, waits: inout Int) -> Bool {
        let now = Daemon.now()
        let until = fileDescriptor == 1 ? stdoutNoWaitUntil.load(ordering: .relaxed) : stderrNoWaitUntil.load(ordering: .relaxed)
        if now < Double(bitPattern: until) { return false }
        if waits == retryAttempts {
            let later = (now + noWaitSeconds).bitPattern
            if fileDescriptor == 1 { stdoutNoWaitUntil.store(later, ordering: .relaxed) } else { stderrNoWaitUntil.store(later, ordering: .relaxed) }
            return false
        }
        waits += 1
        var entry = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
        // unsafe: poll reads and writes the one local pollfd.
        _ = unsafe poll(&entry, 1, retryWaitMilliseconds)
        return true
    }

    private static func isSocket(_ fileDescriptor: Int32) -> Bool { fileType(fileDescriptor) == S_IFSOCK }

    /// Whether stdout is a regular file (`> records.json`), which no process reads as it is written.
    static var stdoutIsRegularFile: Bool { fileType(1) == S_IFREG }

    private static func fileType(_ fileDescriptor: Int32) -> mode_t? {
        var status = stat()
        // unsafe: fstat fills the one local `stat`.
        return unsafe fstat(fileDescriptor, &status) == 0 ? status.st_mode & S_IFMT : nil
    }

    private static func failed(_ fileDescriptor: Int32, _ error: Int32, lines: UInt64) {
        let name: String
        switch fileDescriptor {
        case 1:
            stdoutFailures.add(lines, ordering: .relaxed)
            guard !stdoutFailed.exchange(true, ordering: .acquiringAndReleasing) else { return }
            name = "stdout"
        case 2:
            stderrFailures.add(lines, ordering: .relaxed)
            guard !stderrFailed.exchange(true, ordering: .acquiringAndReleasing) else { return }
            name = "stderr"
        default:
            return
        }
        // Once per stream, to the journal alone (stderr may be the stream that failed).
        Log.toJournal(JournalWriter.operationalFields(
            message: "\(name): cannot write (\(Log.errorText(error))); its lines are dropped from now on",
            priority: JournalPriority.warning, messageID: JournalMessageID.logWriteFailed))
    }
}

func printToStandardError(_ text: String) {
    StandardStreams.writeLine(text, fileDescriptor: 2)
}
