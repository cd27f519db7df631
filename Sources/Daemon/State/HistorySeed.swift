import Detector
import Store

/// The history rules' memory at start: each recently seen name's history read from the store,
/// so a restart (or a second `read --state`) judges against what was learnt before. A store that
/// cannot be read leaves the rules with an empty history (said once): they stay quiet until
/// names have settled again.
enum HistorySeed {
    static func rules(location: StoreLocation, settings: HistorySettings, say: (String) -> Void) -> HistoryRules {
        let book = HistoryBook(capacity: settings.names)
        do throws(StoreError) {
            // Every sensor's history: on a shared store the rules judge against the fleet's view.
            let store = try location.open(readOnly: true)
            for (name, history) in try store.nameHistories(limit: settings.names) { book.seed(name, history) }
        } catch {
            say("history rules start without the store's history: \(error.description)")
        }
        return HistoryRules(book: book, settings: settings)
    }
}
