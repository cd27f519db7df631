import Foundation
import Sniffer
import Store

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's observation store (`state.*`): opened at start — a file that is not a store is
/// moved aside (`state.db.corrupt-YYYYMMDDTHHMMSSZ`), said, and a fresh store begun — then fed
/// every report through `SharedOutputs` and flushed on SIGTERM. A store that cannot be opened or
/// written never stops the daemon: the writer says so once, counts and retries (a PostgreSQL
/// server away or restarting too: its connection is made again on the next try).
enum DaemonStore {
    static func start(_ state: DaemonConfig.State) -> ObservationSink? {
        guard state.enabled else { return nil }
        let location = state.location
        // A server that is away or refuses is said by the history rules' seed and by the writer
        // (which retries): nothing here waits for it.
        if case .file(let path) = location, !prepareFile(path) { return nil }
        var configuration = StoreWriterConfiguration()
        configuration.flushSeconds = state.flushSeconds
        configuration.retentionDays = state.retentionDays
        configuration.maxBytes = state.maxBytes
        configuration.sensor = state.sensor
        return ObservationSink(configuration: configuration,
                               open: { () throws(StoreError) in try location.open(readOnly: false) },
                               say: { Log.warning($0) })
    }

    /// Opens the file once: one that is not a store is moved aside (false when it cannot be).
    private static func prepareFile(_ path: String) -> Bool {
        do throws(StoreError) {
            _ = try SQLiteObservationStore(path: path, readOnly: false)
        } catch where error.isDamage {
            let aside = path + ".corrupt-" + Self.stamp(Date())
            do {
                try FileManager.default.moveItem(atPath: path, toPath: aside)
                // Its journal would be replayed into the fresh store: it goes along.
                for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                    try? FileManager.default.moveItem(atPath: path + suffix, toPath: aside + suffix)
                }
                Log.warning("\(error.description); moved aside to \(aside), starting a fresh store")
            } catch {
                Log.warning("\(path): not a state store, and it cannot be moved aside (\(error)); history is not kept")
                return false
            }
        } catch {
            // Not the file's fault (no directory yet, a lock, a full disk): the writer says it
            // once when it has history to write, counts, and retries with backoff.
        }
        return true
    }

    /// Gives the store's files to the user the daemon is about to become (its directory must be
    /// theirs already: systemd's StateDirectory= makes it so).
    static func handOver(_ state: DaemonConfig.State, to ids: (uid: uid_t, gid: gid_t)) {
        guard state.enabled, state.url == nil else { return }
        for suffix in ["", "-wal", "-shm"] {
            // unsafe: chown with a C string bridged for the call; a missing file is fine (ENOENT).
            _ = unsafe chown(state.path + suffix, ids.uid, ids.gid)
        }
    }

    /// How often the alert deduplication state is saved while running (and at SIGTERM): a
    /// restart, even after a crash, does not raise again what was reported within the window.
    static let dedupSaveSeconds = 60.0

    /// The deduplication state an earlier run of this sensor (`sensor.name`) saved — never
    /// another gateway's in a shared store — none when the store cannot be read.
    static func savedDedup(_ state: DaemonConfig.State) -> [(key: String, lastEmittedNanoseconds: Int64, suppressed: Int)] {
        guard state.enabled else { return [] }
        do throws(StoreError) {
            return try state.location.open(readOnly: true).dedupEntries(sensor: state.sensor)
                .map { ($0.key, $0.lastEmittedNanoseconds, $0.suppressed) }
        } catch {
            return []
        }
    }

    /// Restores the saved deduplication state into `outputs`: from a file before capture starts,
    /// from a server on a thread of its own (a server away never holds capture back; an alert
    /// raised meanwhile keeps its own entry, `AlertDeduplicator.restore`).
    static func restoreDedup(_ state: DaemonConfig.State, into outputs: SharedOutputs, now: Timestamp) {
        guard state.enabled else { return }
        guard case .server = state.location else {
            outputs.restoreDedup(savedDedup(state), now: now)
            return
        }
        let thread = Thread { outputs.restoreDedup(savedDedup(state), now: now) }
        thread.name = "mitmwatch-dedup"
        thread.start()
    }

    static func saveDedup(_ outputs: SharedOutputs) {
        guard let sink = outputs.store else { return }
        sink.saveDedup(outputs.dedupState().map {
            DedupEntry(key: $0.key, lastEmittedNanoseconds: $0.lastEmittedNanoseconds, suppressed: $0.suppressed)
        })
    }

    /// Writes what is pending and stops the writer (SIGTERM); says what was lost, if anything.
    static func finish(_ sink: ObservationSink) {
        sink.finish()
        let counters = sink.counters
        if counters.dropped > 0 {
            Log.warning("state store: \(counters.dropped) session(s) not recorded (\(counters.droppedQueueFull) queue full, "
                + "\(counters.droppedStoreFailed) store failed)")
        }
    }

    /// `YYYYMMDDTHHMMSSZ`, UTC.
    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }
}
