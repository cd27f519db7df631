import Foundation

/// A server tool the probe tests start (gnutls-serv, mitmdump, openssl s_server): its stdout and
/// stderr collected, waited for by what it prints (bounded), stopped by its PID with SIGKILL — a
/// process started from a test thread can inherit a mask that blocks SIGTERM.
final class SpawnedTool {
    let process = Process()
    let output = LiveDaemonTests.Collected()
    /// Kept open: `s_server` ends a connection when its stdin reaches end of file.
    private let input = Pipe()

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = input
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in output.append(handle.availableData) }
        try process.run()
    }

    deinit { stop() }

    /// Waits (polling every 20 ms, at most `seconds`) until the output contains `text`; false when
    /// it did not, or the process ended first.
    func waitFor(_ text: String, seconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !output.value.contains(text), process.isRunning, Date() < deadline { usleep(20_000) }
        return output.value.contains(text)
    }

    /// The number at the end of the first output line starting with `prefix`, waited for as `waitFor`.
    func port(afterPrefix prefix: String, seconds: Double = 10) -> Int? {
        guard waitFor(prefix, seconds: seconds) else { return nil }
        let deadline = Date().addingTimeInterval(2)
        repeat {
            if let line = output.value.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }),
               let port = Int(String(line.reversed().prefix { $0.isNumber }.reversed())) {
                return port
            }
            usleep(20_000)
        } while Date() < deadline
        return nil
    }

    func stop() {
        guard process.processIdentifier > 0 else { return }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
