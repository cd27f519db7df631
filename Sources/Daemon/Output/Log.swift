import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Operational messages: readable lines on stderr, and structured entries in the journal when
/// one is configured. Callable from any thread.
///
/// Every journal send goes through `toJournal`, which counts the entries journald did not take
/// (`journalSendFailures`, after the writer's bounded wait for room) and says the start of a
/// failure spell once on stderr and its end once in both; alerts whose entry was not taken are
/// printed in words on stderr by their caller, so none is lost while journald is away.
enum Log {
    static let journal = Mutex<JournalWriter?>(nil)
    /// Journal entries (alerts and messages) that could not be sent.
    static let journalSendFailures = Atomic<UInt64>(0)
    /// Whether the last journal send failed (a failure spell is under way).
    private static let journalFailing = Atomic<Bool>(false)

    static func info(_ text: String, id: String? = nil) { write(text, prefix: "", priority: JournalPriority.info, id: id) }
    static func warning(_ text: String, id: String? = nil) { write(text, prefix: "warning: ", priority: JournalPriority.warning, id: id) }
    static func error(_ text: String, id: String? = nil) { write(text, prefix: "error: ", priority: JournalPriority.error, id: id) }
    /// An operational message with fields of its own (`MITMWATCH_…`) in the journal.
    static func event(_ text: String, priority: Int, id: String, extra: [(String, String)]) {
        printToStandardError("mitmwatch: " + (priority <= JournalPriority.warning ? "warning: " : "") + text)
        toJournal(JournalWriter.operationalFields(message: text, priority: priority, messageID: id, extra: extra))
    }
    static func alert(_ text: String) { printToStandardError("mitmwatch: " + text) }

    static var journalSendFailureCount: UInt64 { journalSendFailures.load(ordering: .relaxed) }

    /// Whether a journal is configured (it may still be unreachable).
    static var hasJournal: Bool { journal.withLock { $0 != nil } }

    /// Turns the journal on (keeping the writer there is) or off.
    static func useJournal(_ enabled: Bool) {
        journal.withLock { writer in
            if !enabled { writer = nil } else if writer == nil { writer = JournalWriter() }
        }
    }

    private static func write(_ text: String, prefix: String, priority: Int, id: String?) {
        printToStandardError("mitmwatch: " + prefix + text)
        toJournal(JournalWriter.operationalFields(message: text, priority: priority, messageID: id))
    }

    /// Sends an entry to the journal: true when journald took it, false when it did not (counted;
    /// the first failure of a spell is said on stderr), nil when no journal is configured.
    @discardableResult
    static func toJournal(_ fields: [(String, String)]) -> Bool? {
        guard let writer = journal.withLock({ $0 }) else { return nil }
        let error = writer.trySend(fields)
        if error != 0 {
            journalSendFailures.add(1, ordering: .relaxed)
            if !journalFailing.exchange(true, ordering: .acquiringAndReleasing) {
                // Not to the journal: it has just refused.
                printToStandardError("mitmwatch: warning: journal \(writer.socketPath): cannot send (\(errorText(error))); "
                    + "alerts go to stderr until it takes entries again")
            }
            return false
        }
        if journalFailing.exchange(false, ordering: .acquiringAndReleasing) {
            info("journal \(writer.socketPath) takes entries again; alerts go to the journal", id: JournalMessageID.logWriteFailed)
        }
        return true
    }

    static func errorText(_ code: Int32) -> String { unsafe String(cString: strerror(code)) }
}
