import Foundation
import Detector
import Store

/// The history rules' memory at start: each recently seen name's history read from the store,
/// so a restart (or a second `read --state`) judges against what was learnt before. A store that
/// cannot be read leaves the rules with an empty history (said once): they stay quiet until
/// names have settled again.
enum HistorySeed {
    static func rules(location: StoreLocation, settings: HistorySettings, say: (String) -> Void) -> HistoryRules {
        let book = HistoryBook(capacity: settings.names)
        seed(book, from: location, limit: settings.names, say: say)
        return HistoryRules(book: book, settings: settings)
    }

    /// The daemon's: a file is read before capture starts; a server is read on a thread of its
    /// own, so one that is away or slow (a connect timeout, a big history) never holds capture
    /// back — the rules start with what they learn live, and a seeded name never replaces one
    /// seen since (`HistoryBook.seed`).
    static func rulesForDaemon(location: StoreLocation, settings: HistorySettings,
                               say: @escaping @Sendable (String) -> Void) -> HistoryRules {
        guard case .server = location else { return rules(location: location, settings: settings, say: say) }
        let book = HistoryBook(capacity: settings.names)
        let thread = Thread { seed(book, from: location, limit: settings.names, say: say) }
        thread.name = "mitmwatch-seed"
        thread.start()
        return HistoryRules(book: book, settings: settings)
    }

    private static func seed(_ book: HistoryBook, from location: StoreLocation, limit: Int, say: (String) -> Void) {
        do throws(StoreError) {
            // Every sensor's history: on a shared store the rules judge against the fleet's view.
            let store = try location.open(readOnly: true)
            for (name, history) in try store.nameHistories(limit: limit) { book.seed(name, history) }
        } catch {
            say("history rules start without the store's history: \(error.description)")
        }
    }
}
