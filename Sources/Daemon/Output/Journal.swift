#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Writes entries to systemd-journald over its native protocol
/// (https://systemd.io/JOURNAL_NATIVE_PROTOCOL/), as `sd_journal_sendv` does: one AF_UNIX datagram
/// of `KEY=value\n` lines (a value with a newline in the binary form `KEY\n` + little-endian
/// 64-bit length + bytes + `\n`), and an entry too large for a datagram written to a sealed memfd
/// whose descriptor is passed instead (SCM_RIGHTS).
///
/// Sends never block for long and never crash. The socket is connected to journald's, so poll can
/// tell when its queue has room: when the queue is full (EAGAIN — it holds `net.unix.max_dgram_qlen`
/// datagrams, 10 by default, which a burst of alerts fills quickly) a send waits for room up to
/// `retryWaitMilliseconds`, at most `retryAttempts` times; once such waits have run out, sends try
/// only once for `noWaitSeconds`, so a stalled journald costs the callers at most one short wait
/// a second. When journald is absent, stopped or its queue stays full, `send` returns false and
/// `lastError` holds the errno. A refused or reset connection (journald stopped or restarted) is
/// dropped and the next attempt connects afresh, so a restarted journald is picked up at once.
/// Thread-safe: state is behind a mutex.
final class JournalWriter: Sendable {
    static let defaultSocketPath = "/run/systemd/journal/socket"
    /// How long one wait for room in journald's queue lasts at most, and how many there are per entry.
    static let retryWaitMilliseconds: Int32 = 4
    static let retryAttempts = 3
    /// After an entry could not be sent for lack of room, later ones are tried once, without waiting, this long.
    static let noWaitSeconds = 1.0

    /// How the last successful entry travelled.
    enum Transport: Sendable, Equatable {
        case datagram, memfd
    }

    let socketPath: String
    /// SO_SNDBUF asked for the socket (sd-journal asks 8 MiB; the kernel caps it at twice
    /// `net.core.wmem_max`); nil keeps the kernel default. Larger entries go through a memfd.
    let sendBufferSize: Int32?
    private let address: UnixSocketAddress?
    private let state = Mutex(State())

    private struct State {
        /// Connected to journald's socket, or -1.
        var socket: Int32 = -1
        var lastError: Int32 = 0
        var lastTransport: Transport?
        /// Entries that waited for room in journald's queue.
        var waited: UInt64 = 0
        /// Until when (monotonic seconds) sends do not wait for room.
        var noWaitUntil = 0.0
    }

    init(socketPath: String = JournalWriter.defaultSocketPath, sendBufferSize: Int32? = 8 * 1024 * 1024) {
        self.socketPath = socketPath
        self.sendBufferSize = sendBufferSize
        address = UnixSocketAddress(socketPath)
    }

    deinit {
        let socket = state.withLock { $0.socket }
        if socket >= 0 { close(socket) }
    }

    /// journald's socket exists and accepts senders (a socket file left by a stopped journald does not).
    var isAvailable: Bool {
        guard let address else { return false }
        return UnixDatagram.isReachable(address)
    }

    /// The errno of the last failed `send` (0 after a success, or before any send).
    var lastError: Int32 { state.withLock { $0.lastError } }

    /// How the last successful `send` went (nil before one, or after a failure).
    var lastTransport: Transport? { state.withLock { $0.lastTransport } }

    /// Entries so far that found journald's queue full and waited for room (sent or not).
    var waitedForRoom: UInt64 { state.withLock { $0.waited } }

    /// Sends one entry. Fields with invalid names (see `JournalFields.isValidName`) are left out, as
    /// journald would drop them. Returns false (and records `lastError`) when it could not be sent.
    @discardableResult
    func send(_ fields: [(String, String)]) -> Bool { trySend(fields) == 0 }

    /// Sends one entry: 0, or the errno of the failure (also kept as `lastError`).
    func trySend(_ fields: [(String, String)]) -> Int32 {
        let entry = Self.encode(fields)
        return state.withLock { state in
            switch deliver(entry, state: &state) {
            case .success(let transport):
                state.lastError = 0
                state.lastTransport = transport
                return 0
            case .failure(let error):
                state.lastError = error.code
                state.lastTransport = nil
                return error.code
            }
        }
    }

    private struct SendError: Error { var code: Int32 }

    private func deliver(_ entry: [UInt8], state: inout State) -> Result<Transport, SendError> {
        guard let address else { return .failure(SendError(code: EINVAL)) }
        // A second round only after the kept connection turned out to be stale.
        for round in 0..<2 {
            let fresh = state.socket < 0
            if fresh {
                let socket = UnixDatagram.openSocket()
                guard socket >= 0 else { return .failure(SendError(code: errno)) }
                if var size = sendBufferSize {
                    // unsafe: setsockopt reads one Int32 from `size`. A refusal only keeps the default.
                    _ = unsafe setsockopt(socket, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
                }
                let connected = UnixDatagram.connect(socket, to: address)
                guard connected == 0 else {
                    close(socket)
                    return .failure(SendError(code: connected))
                }
                state.socket = socket
            }
            var error = sendWaitingForRoom(entry, passing: nil, state: &state)
            var transport = Transport.datagram
            // Too large for one datagram (or for the send buffer): pass it in a sealed memfd, as sd-journal does.
            if error == EMSGSIZE || error == ENOBUFS {
                let memfd = Self.sealedMemoryFile(entry)
                guard memfd >= 0 else { return .failure(SendError(code: errno)) }
                error = sendWaitingForRoom([], passing: memfd, state: &state)
                close(memfd)
                transport = .memfd
            }
            if error == 0 { return .success(transport) }
            guard Self.isDisconnection(error) else { return .failure(SendError(code: error)) }
            // journald went away (stopped, restarted): drop the connection; a kept one is retried once, anew.
            close(state.socket)
            state.socket = -1
            if fresh || round == 1 { return .failure(SendError(code: error)) }
        }
        return .failure(SendError(code: ECONNREFUSED))
    }

    /// Sends on the connected socket; while journald's queue is full (EAGAIN), waits for room
    /// with poll (bounded, see `retryWaitMilliseconds`). Returns 0 or the errno.
    private func sendWaitingForRoom(_ bytes: [UInt8], passing descriptor: Int32?, state: inout State) -> Int32 {
        var waits = 0
        while true {
            let error = UnixDatagram.send(bytes, on: state.socket, to: nil, passing: descriptor)
            guard error == EAGAIN || error == EWOULDBLOCK else { return error }
            let now = Daemon.now()
            if waits == Self.retryAttempts {
                state.noWaitUntil = now + Self.noWaitSeconds
                return error
            }
            if now < state.noWaitUntil { return error }
            if waits == 0 { state.waited += 1 }
            waits += 1
            var entry = pollfd(fd: state.socket, events: Int16(POLLOUT), revents: 0)
            // unsafe: poll reads and writes the one local pollfd.
            _ = unsafe poll(&entry, 1, Self.retryWaitMilliseconds)
        }
    }

    /// Errors that mean the connected journald is gone.
    private static func isDisconnection(_ error: Int32) -> Bool {
        [ECONNREFUSED, ENOTCONN, ECONNRESET, EPIPE, ENOENT, EDESTADDRREQ].contains(error)
    }

    // MARK: Encoding

    /// The native-protocol bytes of an entry.
    static func encode(_ fields: [(String, String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fields.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 10 })
        for (name, value) in fields where JournalFields.isValidName(name) {
            bytes += name.utf8
            if value.utf8.contains(UInt8(ascii: "\n")) {
                bytes.append(UInt8(ascii: "\n"))
                let length = UInt64(value.utf8.count)
                for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: length >> shift)) }
            } else {
                bytes.append(UInt8(ascii: "="))
            }
            bytes += value.utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    // MARK: memfd

    private typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>?, UInt32) -> Int32

    // <linux/memfd.h> and <fcntl.h> (_GNU_SOURCE) values, not exported by the Glibc module.
    private static let memfdCloexec: UInt32 = 0x0001
    private static let memfdAllowSealing: UInt32 = 0x0002
    private static let fcntlAddSeals: Int32 = 1024 + 9
    private static let sealSeal: Int32 = 0x0001, sealShrink: Int32 = 0x0002, sealGrow: Int32 = 0x0004,
                       sealWrite: Int32 = 0x0008

    /// A memfd holding `bytes`, sealed against any change (journald insists), or -1 with `errno` set.
    private static func sealedMemoryFile(_ bytes: [UInt8]) -> Int32 {
        // memfd_create is declared only under _GNU_SOURCE, so the Glibc module does not import it:
        // look it up in the already-loaded C library (glibc 2.27+).
        // unsafe: dlopen(nil) is the main program's handle; dlsym's result, when not nil, is the
        // address of `int memfd_create(const char *, unsigned int)`, the type it is cast to.
        guard let handle = unsafe dlopen(nil, RTLD_NOW), let symbol = unsafe dlsym(handle, "memfd_create") else {
            errno = ENOSYS
            return -1
        }
        let memfdCreate = unsafe unsafeBitCast(symbol, to: MemfdCreate.self)
        // unsafe: calls the function through the pointer resolved above, with a NUL-terminated name.
        let descriptor = unsafe memfdCreate("mitmwatch-journal", memfdCloexec | memfdAllowSealing)
        guard descriptor >= 0 else { return -1 }
        var offset = 0
        while offset < bytes.count {
            // unsafe: writes from inside the array's buffer, offset < count.
            let written = unsafe bytes.withUnsafeBytes { unsafe write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                let error = written == 0 ? EIO : errno
                close(descriptor)
                errno = error
                return -1
            }
            offset += written
        }
        guard fcntl(descriptor, fcntlAddSeals, sealSeal | sealShrink | sealGrow | sealWrite) == 0 else {
            let error = errno
            close(descriptor)
            errno = error
            return -1
        }
        return descriptor
    }

    // MARK: stderr under journald

    /// Whether standard error (`fileDescriptor`) is connected to the journal, i.e. `JOURNAL_STREAM`
    /// (`<device>:<inode>`, set by systemd for services whose output goes to journald) names the
    /// same file as `fstat` of it. `environment` defaults to the process environment.
    static func isStderrJournal(environment: [String: String]? = nil, fileDescriptor: Int32 = 2) -> Bool {
        guard let stream = environment.map({ $0["JOURNAL_STREAM"] }) ?? processEnvironmentValue("JOURNAL_STREAM") else {
            return false
        }
        let parts = stream.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        // unsafe: fstat fills the one local `stat` it is given.
        guard unsafe fstat(fileDescriptor, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }
}
