import ArgumentParser

@main
struct Mitmwatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mitmwatch",
        abstract: "Watch TLS handshakes passively and report the certificate chains servers present.",
        version: "0.1.0",
        subcommands: [ReadCommand.self, ProbeCommand.self, InspectCommand.self, IndicatorsCommand.self, RunCommand.self, HistoryCommand.self,
                      CheckConfigCommand.self]
    )
}
