import Foundation

/// How the writer flushes, retries and keeps the store within bounds (config `state.*`).
public struct StoreWriterConfiguration: Sendable, Equatable {
    /// Seconds between flushes of the aggregator (`state.flush_seconds`).
    public var flushSeconds: Double = 5
    /// Seconds between retention and size-cap passes (not every flush: they scan).
    public var maintenanceSeconds: Double = 600
    /// History last seen longer ago than this is deleted (`state.retention_days`).
    public var retentionDays: Int = 90
    /// The data's size cap (`state.max_bytes`): the oldest history goes first.
    public var maxBytes: Int64 = 1 << 30
    /// Batches that may wait for the writer; what does not fit is dropped and counted.
    public var queueCapacity = 8
    /// First wait after a failed write, doubled on each failure up to `maxRetrySeconds`.
    public var retrySeconds: Double = 1
    public var maxRetrySeconds: Double = 60
    /// Who observed (the host name): one store may later gather several gateways' history.
    public var sensor = StoreWriterConfiguration.hostName

    public init() {}

    /// The host name — the kernel's, else /etc/hostname's (the unit's ProcSubset=pid hides
    /// /proc/sys) — read from files, with no resolver involved; "localhost" when neither says.
    public static var hostName: String {
        for path in ["/proc/sys/kernel/hostname", "/etc/hostname"] {
            let name = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if !name.isEmpty { return name }
        }
        return "localhost"
    }
}
