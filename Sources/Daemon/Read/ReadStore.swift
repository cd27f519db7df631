import ArgumentParser
import Store

/// `read --state PATH|URL`: the store opened (created, migrated) before any capture is read, so a
/// file that is not a store — or a server that cannot be reached or refuses (password, database,
/// sslmode) — fails the command (exit 1) before any output; then every report goes
/// to the sink, and the end of the input flushes it. (A store that cannot be written — a full disk,
/// a lock, a missing directory — is not the file's fault: said once by the writer, counted, and
/// `read` goes on.) A store that fails while reading is said once
/// on stderr and counted; `read`'s own output and exit status are not affected.
enum ReadStore {
    static func open(_ location: StoreLocation, sensor: String?) throws -> ObservationSink {
        do throws(StoreError) {
            _ = try location.open(readOnly: false)
        } catch where error.isDamage || location.isServer {
            printToStandardError("mitmwatch: \(location.isServer ? "--state: " : "")\(error.description)")
            throw ExitCode(1)
        } catch {
            // Not the file's fault (a full disk, a lock, no directory): `read` goes on, and the
            // writer says it once and counts what it could not record.
        }
        var configuration = StoreWriterConfiguration()
        // One pass at the end is enough for a file; retention still applies to what is older.
        configuration.maintenanceSeconds = 3600
        if let sensor { configuration.sensor = sensor }
        let sink = ObservationSink(configuration: configuration,
                                   open: { () throws(StoreError) in try location.open(readOnly: false) },
                                   say: { printToStandardError("mitmwatch: warning: \($0)") })
        sink.start()
        return sink
    }

    /// Writes what is pending and stops the writer; says what was lost, if anything.
    static func finish(_ sink: ObservationSink, quiet: Bool) {
        sink.finish()
        let counters = sink.counters
        if counters.dropped > 0 {
            printToStandardError("mitmwatch: warning: state store: \(counters.dropped) session(s) not recorded "
                + "(\(counters.droppedQueueFull) queue full, \(counters.droppedStoreFailed) store failed; "
                + "\(counters.batchesFailed) failed write(s))")
        } else if !quiet {
            printToStandardError("mitmwatch: state store: \(counters.observationsWritten) session(s) recorded "
                + "in \(counters.batchesWritten) batch(es)")
        }
    }
}
