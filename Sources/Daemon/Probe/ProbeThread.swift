import Detector
import Dispatch
import Foundation

/// The daemon's prober thread, started with the capture threads and stopped with them: it runs
/// the watch list's probes when they are due and, between them, follows up the passive sessions
/// capture queued — one probe at a time, so probing never takes more than one connection and
/// one thread, and never touches capture.
final class ProbeThread {
    let queue: FollowUpQueue
    let sightings = PathSightings()
    private var finished: DispatchSemaphore?

    init(_ settings: DaemonConfig.Probe) { queue = FollowUpQueue(settings) }

    /// What capture threads hand the prober.
    var feed: ProbeFeed { ProbeFeed(queue: queue, sightings: sightings) }

    func start(detection: DetectionBroadcast, outputs: SharedOutputs) {
        let done = DispatchSemaphore(value: 0)
        finished = done
        let queue = self.queue, sightings = self.sightings
        let thread = Thread {
            Thread.current.name = "mitmwatch-probe"
            var runner = ProbeRunner(detection: detection, outputs: outputs, counts: queue)
            var followUps = FollowUpProber(queue: queue)
            var watch = WatchListProber(queue: queue, sightings: sightings, now: Daemon.now())
            while !queue.isStopping {
                let now = Daemon.now()
                watch.apply(queue.settings, now: now)
                watch.finishPathChecks(now: now, outputs: outputs)
                // After a watch-list probe, one queued follow-up at most before the next: neither starves.
                let ranWatchProbe = watch.runDue(now: now, runner: &runner)
                let wait = ranWatchProbe ? 0 : min(0.25, max(0.01, (watch.nextWake ?? .infinity) - now))
                guard let candidate = queue.take(waiting: wait) else { continue }
                followUps.handle(candidate, now: Daemon.now(), runner: &runner)
            }
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Stops taking sessions and waits for a probe in flight to end (it ends by its timeout);
    /// false when it did not within `seconds`.
    func stop(waiting seconds: Double) -> Bool {
        queue.stop()
        guard let finished else { return true }
        self.finished = nil
        return finished.wait(timeout: .now() + seconds) == .success
    }
}

/// A capture thread's side of the prober: every finished session is offered — kept when the
/// prober waits for it (its own probe, seen by capture), queued when its chain could not be
/// seen and follow-ups are on. Never blocks.
struct ProbeFeed: Sendable {
    let queue: FollowUpQueue
    let sightings: PathSightings

    func offer(_ report: SessionReport) {
        sightings.observe(report)
        queue.offer(report)
    }
}
