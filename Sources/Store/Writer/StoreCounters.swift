/// What the store's writer did, for metrics (`mitmwatch_store_*`, README) and summaries.
public struct StoreCounters: Sendable, Equatable {
    /// Batches written (one transaction each), and attempts that failed (each retry counts).
    public var batchesWritten: UInt64 = 0
    public var batchesFailed: UInt64 = 0
    /// Session reports in the batches written.
    public var observationsWritten: UInt64 = 0
    /// Session reports lost: their batch found the queue full (the writer behind or failing), or
    /// was still failing when the writer stopped.
    public var droppedQueueFull: UInt64 = 0
    public var droppedStoreFailed: UInt64 = 0
    /// Rows of history removed by retention and by the size cap.
    public var removedByRetention: UInt64 = 0
    public var removedBySizeCap: UInt64 = 0
    /// Batches waiting now, and the store's data bytes at the last maintenance.
    public var queuedBatches = 0
    public var storeBytes: Int64 = 0

    public init() {}

    public var dropped: UInt64 { droppedQueueFull + droppedStoreFailed }
}
