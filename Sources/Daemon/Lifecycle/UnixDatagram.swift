#if canImport(Glibc)
import Glibc
#endif

/// The address of an AF_UNIX socket: a filesystem path (`/run/systemd/journal/socket`) or, when
/// written `@name`, a Linux abstract name (`\0name`, no trailing NUL, as systemd spells them).
struct UnixSocketAddress: Sendable {
    private(set) var storage = sockaddr_un()
    private(set) var length: socklen_t = 0
    /// The address as given (`/path` or `@name`).
    let name: String

    /// nil when empty or longer than `sun_path` allows (107 bytes for a path, 107 for an abstract name).
    init?(_ name: String) {
        self.name = name
        var bytes = Array(name.utf8)
        guard !bytes.isEmpty, !bytes.contains(0) else { return nil }
        let isAbstract = bytes[0] == UInt8(ascii: "@")
        if isAbstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: storage.sun_path)
        // A path needs its terminating NUL; an abstract name is counted by the address length.
        guard bytes.count < capacity, !(isAbstract && bytes.count < 2) else { return nil }
        storage.sun_family = sa_family_t(AF_UNIX)
        // unsafe: copies at most capacity - 1 bytes (checked above) into the fixed-size sun_path tuple.
        unsafe withUnsafeMutableBytes(of: &storage.sun_path) { path in
            for (index, byte) in bytes.enumerated() { unsafe path[index] = byte }
        }
        let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        length = socklen_t(offset + bytes.count + (isAbstract ? 0 : 1))
    }
}

/// Nonblocking AF_UNIX datagram sends (journald, the service manager's notification socket).
enum UnixDatagram {
    /// A new close-on-exec AF_UNIX SOCK_DGRAM socket, or -1 with `errno` set.
    static func openSocket() -> Int32 {
        socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
    }

    /// Sends `bytes` as one datagram to `address` (nil: the socket's connected peer) without
    /// blocking (MSG_DONTWAIT) or raising SIGPIPE, optionally passing `descriptor` along
    /// (SCM_RIGHTS). Returns 0, or the errno.
    static func send(_ bytes: [UInt8], on socket: Int32, to address: UnixSocketAddress?,
                     passing descriptor: Int32? = nil) -> Int32 {
        var target = address?.storage ?? sockaddr_un()
        let targetLength = address?.length ?? 0
        // CMSG_LEN / CMSG_SPACE for one int, computed as <sys/socket.h> does (the macros are not imported).
        let word = MemoryLayout<Int>.size
        let header = (MemoryLayout<cmsghdr>.size + word - 1) / word * word
        let controlLength = header + MemoryLayout<Int32>.size
        let controlSpace = header + (MemoryLayout<Int32>.size + word - 1) / word * word
        var control = [UInt64](repeating: 0, count: (controlSpace + 7) / 8)
        // unsafe: every pointer below (address, payload, iovec, control buffer) points into storage
        // that outlives the nested closures, and sendmsg only reads through them during the call.
        return unsafe withUnsafeMutablePointer(to: &target) { targetPointer in
            unsafe bytes.withUnsafeBytes { payload in
                var vector = unsafe iovec(iov_base: UnsafeMutableRawPointer(mutating: payload.baseAddress),
                                          iov_len: payload.count)
                return unsafe withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    unsafe control.withUnsafeMutableBytes { controlBytes in
                        var message = unsafe msghdr()
                        unsafe message.msg_name = targetLength == 0 ? nil : UnsafeMutableRawPointer(targetPointer)
                        unsafe message.msg_namelen = targetLength
                        unsafe message.msg_iov = payload.isEmpty ? nil : vectorPointer
                        unsafe message.msg_iovlen = payload.isEmpty ? 0 : 1
                        if let descriptor {
                            var cmsg = cmsghdr()
                            cmsg.cmsg_len = controlLength
                            cmsg.cmsg_level = SOL_SOCKET
                            cmsg.cmsg_type = Int32(SCM_RIGHTS)
                            // unsafe: the control buffer holds controlSpace bytes, 8-aligned: the header
                            // at 0, the descriptor at CMSG_DATA (= header).
                            unsafe controlBytes.storeBytes(of: cmsg, toByteOffset: 0, as: cmsghdr.self)
                            unsafe controlBytes.storeBytes(of: descriptor, toByteOffset: header, as: Int32.self)
                            unsafe message.msg_control = controlBytes.baseAddress
                            unsafe message.msg_controllen = controlSpace
                        }
                        while true {
                            // unsafe: `message` and everything it points to are live for the call.
                            if unsafe sendmsg(socket, &message, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) >= 0 { return 0 }
                            if errno != EINTR { return errno }
                        }
                    }
                }
            }
        }
    }

    /// Whether a datagram socket is bound at `address` and accepts senders (connect succeeds;
    /// a socket file left by a stopped server refuses with ECONNREFUSED). Never blocks.
    static func isReachable(_ address: UnixSocketAddress) -> Bool {
        let probe = openSocket()
        guard probe >= 0 else { return false }
        defer { close(probe) }
        return connect(probe, to: address) == 0
    }

    /// Connects `socket` to `address` (a datagram connect never blocks): sends then go to that
    /// peer alone, and poll tells when its queue has room. Returns 0, or the errno (ENOENT: no
    /// such socket; ECONNREFUSED: a socket file nobody serves).
    static func connect(_ socket: Int32, to address: UnixSocketAddress) -> Int32 {
        var target = address.storage
        // unsafe: connect reads `address.length` bytes of the sockaddr_un it is given, no more.
        let result = unsafe withUnsafePointer(to: &target) { pointer in
            unsafe pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { unsafe Glibc.connect(socket, $0, address.length) }
        }
        return result == 0 ? 0 : errno
    }
}

/// The process environment's value for `key` (getenv), so that callers without Foundation can build
/// the explicit environments `SystemdNotify` and `JournalWriter.isStderrJournal` take.
func processEnvironmentValue(_ key: String) -> String? {
    // unsafe: getenv returns nil or a NUL-terminated string owned by the environment, copied at once.
    guard let value = unsafe getenv(key) else { return nil }
    return unsafe String(cString: value)
}
