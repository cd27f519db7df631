import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP, SIGTERM, SIGINT and SIGUSR1 delivered as readable events on a descriptor (signalfd),
/// so the capture loop handles them between packets, with no async-signal-safety concerns.
final class SignalDescriptor {
    let descriptor: Int32

    init?() {
        var set = sigset_t()
        // unsafe: plain libc calls on a local sigset_t.
        unsafe sigemptyset(&set)
        for signal in [SIGHUP, SIGTERM, SIGINT, SIGUSR1] { unsafe sigaddset(&set, signal) }
        guard unsafe pthread_sigmask(SIG_BLOCK, &set, nil) == 0 else { return nil }
        descriptor = unsafe signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        guard descriptor >= 0 else { return nil }
    }

    deinit { close(descriptor) }

    /// Signals that arrived since the last call.
    func pending() -> [Int32] {
        var signals: [Int32] = []
        var info = signalfd_siginfo()
        while unsafe read(descriptor, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            signals.append(Int32(info.ssi_signo))
        }
        return signals
    }
}
