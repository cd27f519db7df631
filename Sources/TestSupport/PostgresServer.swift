import Foundation

/// A real PostgreSQL server for the store tests: a fresh cluster (`initdb`) in a temporary
/// directory, run as the `postgres` user on a Unix socket only, with a role `mitmwatch`
/// (password, SCRAM) owning a database `mitmwatch`; stopped by its PID. Needs root (to act as
/// `postgres`) and the Debian `postgresql` package (scripts/setup.sh installs it).
public final class PostgresServer: @unchecked Sendable {
    public static let password = "s3cret-pw"
    public let directory: String
    public let socketDirectory: String
    private let bin: String
    private var data: String { directory + "/data" }
    /// runuser, running the server.
    private var server: Process?

    /// Why the tests cannot start a server here (nil when they can).
    public static var unavailable: String? {
        guard getuid() == 0 else { return "needs root to run PostgreSQL as the postgres user" }
        guard binDirectory != nil else { return "PostgreSQL server binaries not installed (apt-get install postgresql)" }
        // unsafe: getpwnam's record is only tested for NULL, never read.
        guard unsafe getpwnam("postgres") != nil else { return "no postgres user" }
        return nil
    }

    /// /usr/lib/postgresql/VERSION/bin, the newest installed.
    static var binDirectory: String? {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.compactMap(Int.init).sorted().reversed().map { "/usr/lib/postgresql/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }

    /// The TCP port on 127.0.0.1 (nil: the socket only).
    public let tcpPort: UInt16?

    /// Creates and starts the cluster, the role and the database (a few seconds); with `tcpPort`,
    /// it listens on 127.0.0.1 too (without TLS).
    public init(tcpPort: UInt16? = nil) throws {
        self.tcpPort = tcpPort
        guard let bin = Self.binDirectory else { throw Failure("no PostgreSQL binaries") }
        self.bin = bin
        directory = "/tmp/mitmwatch-pg-" + UUID().uuidString.prefix(8)
        socketDirectory = directory + "/socket"
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        try Self.asPostgres("/bin/chown", ["-R", "postgres:postgres", directory], root: true)
        try Self.asPostgres(bin + "/initdb", ["-D", data, "-U", "postgres", "--auth-local=peer", "--no-sync", "-E", "UTF8",
                                              "--locale=C"])
        // The test role logs in with a password over the socket; postgres (this helper) by peer.
        try "local all postgres peer\nlocal all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n".write(toFile: data + "/pg_hba.conf", atomically: false, encoding: .utf8)
        try start()
        try psql("CREATE ROLE mitmwatch LOGIN PASSWORD '\(Self.password)'")
        try psql("CREATE DATABASE mitmwatch OWNER mitmwatch")
    }

    deinit { stop() }

    /// The store's URL (over the socket); another password or database for the failure tests.
    public func url(password: String = PostgresServer.password, database: String = "mitmwatch") -> String {
        "postgresql://mitmwatch:\(password)@/\(database)?host=\(socketDirectory)&port=\(port)"
    }

    /// The store's URL over TCP (with `tcpPort`), with libpq's `sslmode`.
    public func tcpURL(sslmode: String) -> String {
        "postgresql://mitmwatch:\(Self.password)@127.0.0.1:\(port)/mitmwatch?sslmode=\(sslmode)"
    }

    private var port: UInt16 { tcpPort ?? 5432 }

    /// Starts the server (again) as a child process — not through `pg_ctl start`, whose server
    /// would keep Foundation's process-exit pipe open for ever — and waits at most 30 s for it to
    /// accept connections.
    public func start() throws {
        let logPath = directory + "/log"
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw Failure("cannot write \(logPath)") }
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        process.arguments = ["-u", "postgres", "--", bin + "/postgres", "-D", data, "-k", socketDirectory,
                             "-c", "listen_addresses=\(tcpPort == nil ? "" : "127.0.0.1")", "-p", "\(port)", "-c", "fsync=off"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()
        server = process
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if (try? ToolProcess.run(bin + "/pg_isready", ["-q", "-h", socketDirectory, "-p", "\(port)"], in: "/tmp")) != nil { return }
            guard process.isRunning else { break }
            usleep(100_000)
        }
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        stop()
        throw Failure("PostgreSQL did not start within 30 s: \(text.suffix(2000))")
    }

    /// Stops the server by its PID: SIGINT (fast shutdown), then SIGKILL after 10 s; waits at most
    /// 15 s in all.
    public func stop() {
        guard let process = server else { return }
        // The postmaster (runuser's child) by the PID it wrote, else runuser's.
        let pid = postmasterPID ?? process.processIdentifier
        kill(pid, SIGINT)
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning, Date() < deadline {
            if Date() > deadline.addingTimeInterval(-5) {
                kill(pid, SIGKILL)
                kill(process.processIdentifier, SIGKILL)
            }
            usleep(50_000)
        }
        server = nil
    }

    /// Stops the server and removes its directory.
    public func destroy() {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs SQL as the postgres superuser in the test database (or `database`).
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        try Self.asPostgres(bin + "/psql", ["-h", socketDirectory, "-p", "\(port)", "-d", database, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    /// The postmaster's PID (the first line of postmaster.pid), nil when it is not running.
    private var postmasterPID: pid_t? {
        guard let text = try? String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8),
              let line = text.split(separator: "\n").first, let pid = pid_t(line), kill(pid, 0) == 0 else { return nil }
        return pid
    }

    @discardableResult
    private static func asPostgres(_ executable: String, _ arguments: [String], root: Bool = false) throws -> String {
        root ? try ToolProcess.run(executable, arguments, in: "/tmp")
            : try ToolProcess.run("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments, in: "/tmp")
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
