import Dispatch
import Foundation
import Detector
import Sniffer
import Synchronization

/// Writes evidence bundles on a thread of its own, through a bounded queue, so the thread that
/// reports an alert never waits for the disk: a bundle is a folder and four files, a few hundred
/// microseconds of metadata work on a busy file system, and an alert flood must not stall
/// capture. The alert names the folder as soon as it is queued; the daemon drops a bundle that
/// finds the queue full (counted, the alert goes out without a path), `read` waits for room.
final class EvidenceWriter: Sendable {
    let directory: EvidenceDirectory
    /// Named in the bundle's session record (`observer.name`).
    let sensor: String?
    private let say: @Sendable (String) -> Void
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let room = DispatchSemaphore(value: 0)

    /// At most this many bundles, and this many bytes of them, wait at once.
    static let defaultQueueBundles = 512
    static let defaultQueueBytes = 64 << 20
    let queueBundles: Int
    let queueBytes: Int

    /// A bundle to write: the files are made on the writer's thread too (the session record,
    /// the PEM, the pcap: tens of microseconds the reporting thread does not spend).
    private struct Job {
        var folder: String
        var report: SessionReport?
        var alertLines: [UInt8]
        var bytes: Int
    }

    private struct State {
        var queue: [Job] = []
        var head = 0
        var bytes = 0
        var started = false
        /// Callers waiting for the queue to empty.
        var waiters: [DispatchSemaphore] = []
        /// Callers waiting for room (`read`).
        var waitingForRoom = 0
    }

    init(directory: EvidenceDirectory, queueBundles: Int = defaultQueueBundles, queueBytes: Int = defaultQueueBytes,
         sensor: String? = nil, say: @escaping @Sendable (String) -> Void) {
        self.directory = directory
        self.sensor = sensor
        self.queueBundles = queueBundles
        self.queueBytes = queueBytes
        self.say = say
    }

    /// The folder the session's bundle will be written to (reserved), or nil when the directory
    /// cannot be used (said once, counted).
    func reserve(_ session: TLSSession) -> String? { directory.reserve(session, say: say) }

    /// Queues the bundle of a reserved folder: the session's report and its alerts' JSON lines.
    /// False when the queue is full and `wait` is false (the folder is given back and counted;
    /// the alerts then go out without it).
    func submit(_ report: SessionReport, alertLines: [UInt8], to folder: String, wait: Bool) -> Bool {
        let bytes = alertLines.count + (report.packets?.capturedBytes ?? 0)
            + report.serverChainDER.reduce(0) { $0 + $1.count * 4 / 3 } + 2048
        while true {
            let queued: Bool? = state.withLock { state in
                let waiting = state.queue.count - state.head
                guard waiting < queueBundles, state.bytes + bytes <= queueBytes || waiting == 0 else {
                    if wait { state.waitingForRoom += 1 }
                    return wait ? nil : false
                }
                if !state.started {
                    state.started = true
                    startThread()
                }
                state.queue.append(Job(folder: folder, report: report, alertLines: alertLines, bytes: bytes))
                state.bytes += bytes
                return true
            }
            switch queued {
            case true?:
                wake.signal()
                return true
            case false?:
                directory.release(folder)
                return false
            case nil:
                room.wait()
            }
        }
    }

    /// Returns once every bundle queued so far is written (end of `read`, daemon stop).
    func drain() {
        let done = DispatchSemaphore(value: 0)
        let waiting = state.withLock { state in
            guard state.started, state.queue.count > state.head else { return false }
            state.waiters.append(done)
            return true
        }
        guard waiting else { return }
        wake.signal()
        done.wait()
    }

    private func startThread() {
        // Lives as long as the process: the daemon drains it when stopping, `read` at its end.
        let thread = Thread { [self] in run() }
        thread.name = "mitmwatch-evidence"
        thread.start()
    }

    private func run() {
        while true {
            wake.wait()
            while let job: Job = state.withLock({ state in state.queue.count > state.head ? state.queue[state.head] : nil }) {
                if let report = job.report {
                    _ = directory.write(EvidenceBundle.files(report, alertLines: job.alertLines, sensor: sensor), to: job.folder, say: say)
                }
                let (waiters, roomWaiters) = state.withLock { state in
                    state.queue[state.head].report = nil
                    state.queue[state.head].alertLines = []
                    state.head += 1
                    state.bytes -= job.bytes
                    if state.head > 64, state.head * 2 > state.queue.count {
                        state.queue.removeFirst(state.head)
                        state.head = 0
                    }
                    let empty = state.queue.count == state.head
                    defer {
                        if empty { state.waiters.removeAll() }
                        state.waitingForRoom = 0
                    }
                    return (empty ? state.waiters : [], state.waitingForRoom)
                }
                for _ in 0 ..< roomWaiters { room.signal() }
                for waiter in waiters { waiter.signal() }
            }
        }
    }
}
