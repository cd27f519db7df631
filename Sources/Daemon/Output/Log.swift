import Synchronization

/// Operational messages: readable lines on stderr, and structured entries in the journal when
/// one is reachable. Callable from any thread.
enum Log {
    static let journal = Mutex<JournalWriter?>(nil)

    static func info(_ text: String, id: String? = nil) { write(text, prefix: "", priority: JournalPriority.info, id: id) }
    static func warning(_ text: String, id: String? = nil) { write(text, prefix: "warning: ", priority: JournalPriority.warning, id: id) }
    static func error(_ text: String, id: String? = nil) { write(text, prefix: "error: ", priority: JournalPriority.error, id: id) }
    static func alert(_ text: String) { printToStandardError("mitmwatch: " + text) }

    private static func write(_ text: String, prefix: String, priority: Int, id: String?) {
        printToStandardError("mitmwatch: " + prefix + text)
        if let journal = journal.withLock({ $0 }) {
            journal.send(JournalWriter.operationalFields(message: text, priority: priority, messageID: id))
        }
    }
}
