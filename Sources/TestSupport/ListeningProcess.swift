import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A test server process (`openssl s_server`, a python3 script) that prints a line naming the port
/// it listens on; stopped by its PID (SIGTERM, then SIGKILL) with bounded waits.
public final class ListeningProcess {
    /// The port from the first output line starting with the ready prefix (its trailing digits).
    public let port: UInt16
    public let pid: Int32
    private let process: Process
    private let output: OutputLog
    /// Kept open: `s_server` ends a connection when its stdin reaches end of file.
    private let input = Pipe()

    /// Starts `executable` in `directory` and waits at most `startSeconds` for a line of its
    /// stdout or stderr starting with `readyPrefix` ("ACCEPT ", "PORT ").
    public init(_ executable: String, _ arguments: [String], in directory: String = NSTemporaryDirectory(),
                readyPrefix: String, startSeconds: Double = 10) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let log = OutputLog()
        output = log
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = input
        pipe.fileHandleForReading.readabilityHandler = { handle in log.append(handle.availableData) }
        try process.run()
        pid = process.processIdentifier
        let deadline = Date().addingTimeInterval(startSeconds)
        var found: UInt16?
        while found == nil, Date() < deadline, process.isRunning {
            found = log.port(afterPrefix: readyPrefix)
            if found == nil { usleep(20_000) }
        }
        found = found ?? log.port(afterPrefix: readyPrefix)
        guard let found else {
            Self.stop(process)
            throw NSError(domain: "ListeningProcess", code: 1, userInfo: [
                NSLocalizedDescriptionKey: "\(executable) \(arguments.joined(separator: " ")) did not print \"\(readyPrefix)…\": \(log.text)",
            ])
        }
        port = found
    }

    deinit { stop() }

    /// What the process printed so far.
    public var text: String { output.text }

    /// Stops the process by its PID: SIGTERM, up to 2 s, then SIGKILL, up to 2 s.
    public func stop() { Self.stop(process) }

    /// Stops the process by its PID with SIGKILL at once (a process started from a test thread
    /// can inherit a mask that blocks SIGTERM, which `stop` then waits 2 s for), up to 2 s.
    public func stopNow() { Self.stop(process, signals: [SIGKILL]) }

    private static func stop(_ process: Process, signals: [Int32] = [SIGTERM, SIGKILL]) {
        let pid = process.processIdentifier
        guard pid > 0 else { return }
        for signal in signals where process.isRunning {
            kill(pid, signal)
            let deadline = Date().addingTimeInterval(2)
            while process.isRunning, Date() < deadline { usleep(10_000) }
        }
    }
}

/// A process's output, appended from Foundation's reading thread.
private final class OutputLog: Sendable {
    private let bytes = Mutex<[UInt8]>([])

    func append(_ data: Data) {
        bytes.withLock { $0.append(contentsOf: data.prefix(max(0, (1 << 20) - $0.count))) }
    }

    var text: String { bytes.withLock { String(decoding: $0, as: UTF8.self) } }

    func port(afterPrefix prefix: String) -> UInt16? {
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            let digits = line.reversed().prefix { $0.isNumber }
            if let port = UInt16(String(digits.reversed())) { return port }
        }
        return nil
    }
}
