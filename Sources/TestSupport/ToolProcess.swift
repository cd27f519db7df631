import Foundation

/// Runs a command-line tool the tests use (openssl, editcap, mergecap, …) and waits for it.
public enum ToolProcess {
    /// Runs `executable` with `arguments` in `directory`; its stdout, or an error naming the tool,
    /// its arguments and its stderr.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], in directory: String) throws -> String {
        let tool = URL(fileURLWithPath: executable).lastPathComponent
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: tool, code: Int(process.terminationStatus), userInfo: [
                NSLocalizedDescriptionKey: "\(tool) \(arguments.joined(separator: " ")): "
                    + String(decoding: message, as: UTF8.self),
            ])
        }
        return String(decoding: data, as: UTF8.self)
    }
}
