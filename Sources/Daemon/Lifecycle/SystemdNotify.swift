#if canImport(Glibc)
import Glibc
#endif

/// The service manager's notification protocol (sd_notify(3)): state changes sent as datagrams of
/// `KEY=value` lines to the AF_UNIX socket named by `NOTIFY_SOCKET` (a path, or `@name` for an
/// abstract socket). Without `NOTIFY_SOCKET` (not started by systemd with `Type=notify`,
/// `notify-reload` or `NotifyAccess=`), every call is a no-op returning false.
///
/// Each message is one nonblocking datagram on a fresh socket, as libsystemd does; nothing is kept open.
struct SystemdNotify: Sendable {
    /// Where notifications go; nil when `NOTIFY_SOCKET` is unset, empty, not `/…` or `@…`
    /// (e.g. systemd 254's `vsock:`), or too long.
    let socket: UnixSocketAddress?
    /// How often to call `watchdog()`: half of `WATCHDOG_USEC` (as sd_watchdog_enabled(3)
    /// advises), when that is set and `WATCHDOG_PID` is unset or this process.
    let watchdogInterval: Duration?

    /// From an explicit environment (tests; a daemon that snapshots its environment).
    init(environment: [String: String], processID: Int32 = getpid()) {
        socket = environment["NOTIFY_SOCKET"].flatMap { name in
            name.hasPrefix("/") || name.hasPrefix("@") ? UnixSocketAddress(name) : nil
        }
        if let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0,
           microseconds / 2 <= UInt64(Int64.max),
           environment["WATCHDOG_PID"].map({ Int32($0) == processID }) ?? true {
            watchdogInterval = .microseconds(Int64(microseconds / 2))
        } else {
            watchdogInterval = nil
        }
    }

    /// From the process environment (`NOTIFY_SOCKET`, `WATCHDOG_USEC`, `WATCHDOG_PID`).
    init() {
        var environment: [String: String] = [:]
        for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            environment[key] = processEnvironmentValue(key)
        }
        self.init(environment: environment)
    }

    /// Whether there is a service manager to notify.
    var isEnabled: Bool { socket != nil }

    /// Sends `state` (newline-separated `KEY=value` assignments) as it is. False when disabled or
    /// the send failed (the manager gone, its queue full: nothing waits).
    @discardableResult
    func notify(_ state: String) -> Bool {
        guard let socket else { return false }
        let descriptor = UnixDatagram.openSocket()
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return UnixDatagram.send(Array(state.utf8), on: descriptor, to: socket) == 0
    }

    /// `READY=1`: start-up finished (and, after `reloading()`, the reload finished).
    @discardableResult func ready() -> Bool { notify("READY=1") }

    /// `STATUS=…`: one line shown by `systemctl status` (newlines become spaces).
    @discardableResult func status(_ text: String) -> Bool {
        notify("STATUS=" + String(text.map { $0 == "\n" || $0 == "\r\n" || $0 == "\r" ? " " : $0 }))
    }

    /// `WATCHDOG=1`: the keep-alive ping, every `watchdogInterval`.
    @discardableResult func watchdog() -> Bool { notify("WATCHDOG=1") }

    /// `STOPPING=1`: shutdown began.
    @discardableResult func stopping() -> Bool { notify("STOPPING=1") }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (CLOCK_MONOTONIC now, required by `Type=notify-reload`):
    /// a reload began; send `ready()` when it is done.
    @discardableResult func reloading() -> Bool {
        notify("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())")
    }

    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        // unsafe: clock_gettime fills the one local `timespec` it is given.
        unsafe clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
