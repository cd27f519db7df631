import Detector
import Foundation
import Sniffer
import Synchronization

/// The capture threads and what the main thread shares with each. A worker owns its capture
/// sockets, its pipeline, flows and caches; the main thread hands it sockets, tells it to let go
/// of an interface or to stop, and reads the snapshot of its counters it publishes. Each worker
/// has its own lock for that, taken once per batch of packets, never per packet.
final class WorkerPool {
    let links: [WorkerLink]
    private var finished: [DispatchSemaphore] = []

    init(count: Int) {
        links = (0..<count).map(WorkerLink.init)
    }

    var count: Int { links.count }

    /// Starts the threads. Call after capture is open and privileges are dropped: threads inherit
    /// the credentials (and the blocked signal mask) of the thread that creates them.
    func start(limits: SnifferLimits, detection: DetectionBroadcast, outputs: SharedOutputs, probes: ProbeFeed) {
        for link in links {
            // Each worker numbers its sessions apart (1, 1 + n, 1 + 2n…; 2, 2 + n…), so
            // `mitmwatch.session_id` stays unique in the process.
            var numbered = limits
            numbered.flows.sessionNumbering = .counter(first: UInt64(link.index + 1), stride: UInt64(links.count))
            let share = numbered
            let done = DispatchSemaphore(value: 0)
            finished.append(done)
            let name = "mitmwatch-w\(link.index)"
            let thread = Thread {
                Thread.current.name = name  // the thread's name in top -H and /proc/PID/task/*/comm
                var worker = CaptureWorker(link: link, limits: share, detection: detection, outputs: outputs,
                                           probes: probes)
                worker.run()
                done.signal()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    func hand(_ source: any PacketSource, to worker: Int) { links[worker].hand(Handover(source)) }

    /// Every worker that holds a capture on `interface` closes it (and reports it released).
    func release(_ interface: String, by workers: Set<Int>) {
        for worker in workers { links[worker].release(interface) }
    }

    /// Captures the workers closed since the last call: (worker, interface, why it failed — nil
    /// when the main thread asked for it).
    func takeReleased() -> [(worker: Int, interface: String, failure: String?)] {
        links.flatMap { link in link.takeReleased().map { (link.index, $0.interface, $0.failure) } }
    }

    var snapshots: [WorkerSnapshot] { links.map(\.snapshot) }

    /// Asks every worker to stop — each drains what its captures hold, finishes its pipeline
    /// (reporting every open session) and publishes a last snapshot — and waits for them all.
    func stop() {
        for link in links { link.requestStop() }
        for done in finished { done.wait() }
        finished = []
    }
}

/// One worker's counters as it last published them.
struct WorkerSnapshot: Sendable {
    var counters = Counters()
    var activeFlows = 0
    /// Frames kept for evidence, and left out by reason.
    var evidence = EvidenceCounts()
    /// Per interface: the kernel's counts for this worker's captures since the daemon started.
    var kernel: [String: KernelStatistics] = [:]
}

/// A value made on one thread and handed over, whole, to another that uses it from then on (a
/// capture the main thread opened, given to the worker that will drain it). The sender keeps no
/// reference, so the value is never used by two threads at once; the lock it travels through
/// orders the memory. That is the whole contract: `@unchecked` because the compiler cannot see it.
struct Handover: @unchecked Sendable {
    let source: any PacketSource
    init(_ source: any PacketSource) { self.source = source }
}

/// What the main thread and one worker share, behind one lock.
final class WorkerLink: Sendable {
    let index: Int
    private let state = Mutex(State())

    struct State {
        // main → worker
        var incoming: [Handover] = []
        var release: Set<String> = []
        var stop = false
        // worker → main
        var released: [(interface: String, failure: String?)] = []
        var snapshot = WorkerSnapshot()
    }

    /// What the worker is asked to do.
    struct Mail {
        var incoming: [Handover]
        var release: Set<String>
        var stop: Bool
    }

    init(index: Int) { self.index = index }

    func hand(_ handover: Handover) { state.withLock { $0.incoming.append(handover) } }
    func release(_ interface: String) { state.withLock { _ = $0.release.insert(interface) } }
    func requestStop() { state.withLock { $0.stop = true } }

    func takeReleased() -> [(interface: String, failure: String?)] {
        state.withLock { state in
            defer { state.released = [] }
            return state.released
        }
    }

    var snapshot: WorkerSnapshot { state.withLock { $0.snapshot } }

    /// Worker side, once per loop: reports what it closed (and its counters, when given) and
    /// takes its mail.
    func exchange(released: [(interface: String, failure: String?)], snapshot: WorkerSnapshot?) -> Mail {
        state.withLock { state in
            state.released += released
            if let snapshot { state.snapshot = snapshot }
            defer {
                state.incoming = []
                state.release = []
            }
            return Mail(incoming: state.incoming, release: state.release, stop: state.stop)
        }
    }
}

/// The detection setup the workers run, replaced on reload: built once on the main thread and
/// picked up by each worker between batches (an atomic generation number says when to look).
final class DetectionBroadcast: Sendable {
    private let generation = Atomic(0)
    private let current: Mutex<DetectionConfiguration>

    init(_ detection: DetectionConfiguration) { current = Mutex(detection) }

    func publish(_ detection: DetectionConfiguration) {
        current.withLock { $0 = detection }
        generation.add(1, ordering: .releasing)
    }

    /// The current setup and its generation.
    func latest() -> (generation: Int, detection: DetectionConfiguration) {
        let generation = generation.load(ordering: .acquiring)
        return (generation, current.withLock { $0 })
    }

    /// The current setup, when it is newer than `generation`.
    func newer(than generation: Int) -> (generation: Int, detection: DetectionConfiguration)? {
        self.generation.load(ordering: .acquiring) == generation ? nil : latest()
    }
}
