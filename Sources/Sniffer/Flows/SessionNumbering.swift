/// How a flow table numbers the sessions it creates. A session id must be unique within one run
/// (`mitmwatch.session_id` ties an alert to its session record), also when several workers each
/// keep their own flow table.
public enum SessionNumbering: Sendable, Equatable {
    /// `first`, `first + stride`, … — each of `stride` live-capture workers starts at its own
    /// `first` (1…stride), so their ids never meet.
    case counter(first: UInt64, stride: UInt64)
    /// The number of the frame whose segment created the flow: 1-based over the whole input (several
    /// files count as one stream), as Wireshark numbers frames. Workers that each read the whole
    /// input and keep a share of its flows number every session as one worker would.
    case frameNumber

    public static let sequential = SessionNumbering.counter(first: 1, stride: 1)
}
