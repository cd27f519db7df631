import ArgumentParser
import Output
import Store

/// `mitmwatch history`: what the observation store remembers — every chain a name was served,
/// every name a CA served, the names whose issuing CA changed, and which sensors saw each chain.
/// Opens the store read-only, so it works while the daemon writes (WAL, or a PostgreSQL server).
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show the observation store's history: a name's chains, a CA's names, issuer changes.",
        discussion: """
            mitmwatch history NAME          every distinct chain NAME was served
            mitmwatch history --issuer TEXT every name served a chain whose issuer DN contains TEXT
            mitmwatch history --spki HEX    every name served a chain from that CA key (aki:…, spki:…, bare hex)
                                            or holding a certificate with that SubjectPublicKeyInfo SHA-256
            mitmwatch history --changes     names whose issuing CA key changed, each key since when
            """
    )

    static let defaultStatePath = "/var/lib/mitmwatch/state.db"

    @Argument(help: "Server name (SNI), or the server address for sessions without one.")
    var name: String?

    @Option(help: ArgumentHelp("The store: a file, or a postgresql://… URL (state.url).", valueName: "path-or-url"))
    var state: String = defaultStatePath

    @Option(help: "Output format: text (for people) or json (one object per line).")
    var format: ReadCommand.Format = .text

    @Option(help: "Only history last seen on or after this date (YYYY-MM-DD or ISO 8601, UTC unless an offset is given).")
    var since: String?

    @Option(help: "Names served a chain whose leaf's issuer DN contains this text (case-insensitive).")
    var issuer: String?

    @Option(help: "Names served a chain from this issuing CA key, or with a certificate of this SPKI SHA-256 (hex).")
    var spki: String?

    @Flag(help: "Names whose issuing CA key changed (with --since: changed since then).")
    var changes = false

    func run() throws {
        let chosen = [name != nil, issuer != nil, spki != nil, changes].filter { $0 }.count
        guard chosen == 1 else {
            throw usage("give exactly one of NAME, --issuer, --spki or --changes")
        }
        var sinceSeconds: Int64?
        if let since {
            guard let seconds = HistoryDate.parse(since) else {
                throw usage("--since: \"\(since)\" is not a date (YYYY-MM-DD or ISO 8601, e.g. 2019-07-18T00:00:00Z)")
            }
            sinceSeconds = seconds
        }
        if let spki, spki.isEmpty || (!spki.contains(":") && !spki.allSatisfy(\.isHexDigit)) {
            throw usage("--spki: \"\(spki)\" is not hex (or an issuing CA key such as aki:…)")
        }
        var json = JSONBuffer(capacity: 1 << 16)
        do throws(StoreError) {
            let store = try StoreLocation(state).open(readOnly: true)
            if changes {
                for change in try store.issuerChanges(since: sinceSeconds) {
                    if format == .json { HistoryRecords.write(change, into: &json) } else { json.appendLine(HistoryRecords.text(change)) }
                }
            } else {
                let chains: [ChainHistory]
                if let name { chains = try store.chains(named: name, since: sinceSeconds) }
                else if let issuer { chains = try store.chains(issuerContaining: issuer, since: sinceSeconds) }
                else { chains = try store.chains(caKey: spki!, since: sinceSeconds) }
                for chain in chains {
                    if format == .json { HistoryRecords.write(chain, into: &json) } else { json.appendLine(HistoryRecords.text(chain)) }
                    if json.count >= 1 << 16 {
                        StandardStreams.write(json.bytes)
                        json.removeAll()
                    }
                }
            }
        } catch {
            printToStandardError("mitmwatch: \(StoreLocation(state).isServer ? "--state: " : "")\(error.description)")
            throw ExitCode(1)
        }
        StandardStreams.write(json.bytes)
    }

    /// A usage error in one line, exit 64 (EX_USAGE).
    private func usage(_ message: String) -> ExitCode {
        printToStandardError("mitmwatch: history: \(message)")
        return ExitCode(64)
    }
}
