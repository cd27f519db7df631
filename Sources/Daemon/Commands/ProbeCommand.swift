import ArgumentParser
import Certificates
import Detector
import Foundation
import OpenSSLBridge
import Output
import Sniffer

/// `mitmwatch probe TARGET...`: connect to each server as a TLS client through this gateway,
/// take the chain it shows (TLS 1.3 included), and judge it with the rules passive sessions get.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Connect to servers as a TLS client and judge the chain they show with the same rules as captures.",
        discussion: """
        After an alert of severity high or critical, the handshake is repeated on new \
        connections whose ClientHello is sent at IP TTL (IPv6 hop limit) 1, 2, 3, … up to \
        --max-hops: the first TTL at which the forged chain comes back is the interceptor's \
        distance in hops, reported after the alert (--no-locate to skip; at most \
        \(Int(InterceptorLocator.Limits().tryTimeoutSeconds)) s per TTL and \
        \(Int(InterceptorLocator.Limits().deadlineSeconds)) s in all).

        Exit status: 3 when an alert of severity high or critical fired, 0 when every probe \
        completed without one, 1 when a probe could not complete (refused, timed out, handshake \
        failed) and none alerted, 64 on usage errors.
        """
    )

    @Argument(help: "HOST[:PORT] (an IPv6 address in brackets; port 443 by default). A host name is resolved and is the SNI.")
    var targets: [String]

    @Option(help: "Server name (SNI) to send instead of the target's host name.")
    var sni: String?

    @Option(help: "TLS versions to offer: 1.2, 1.3 or any.")
    var tls: TLSProbeVersions = .any

    @Option(help: "Output format: text (for people) or json (one ECS object per line).")
    var format: ReadCommand.Format = .text

    @OptionGroup var detection: DetectionOptions

    @Option(help: "Seconds one probe may take, connecting and handshaking.")
    var timeout: Double = 10

    @Flag(help: "Include the server's chain as PEM in alerts (tls.server.certificate_chain).")
    var certificateChain = false

    @Flag(help: "Do not look for the interceptor at rising TTL after an alert.")
    var noLocate = false

    @Option(help: "The highest TTL (IPv6 hop limit) tried when looking for the interceptor, 1 to \(Self.maxHopsLimit).")
    var maxHops = InterceptorLocator.Limits.defaultMaxHops

    static let maxTimeout = 300.0
    static let maxHopsLimit = 64

    mutating func run() throws {
        guard timeout > 0, timeout <= Self.maxTimeout else {
            throw ValidationError("--timeout must be more than 0 and at most \(Int(Self.maxTimeout)) seconds (got \(timeout))")
        }
        if let sni, sni.isEmpty || sni.utf8.count > 253 || sni.contains(where: { $0.isWhitespace || !$0.isASCII }) {
            throw ValidationError("--sni '\(sni)' is not a server name")
        }
        guard (1...Self.maxHopsLimit).contains(maxHops) else {
            throw ValidationError("--max-hops must be from 1 to \(Self.maxHopsLimit) (got \(maxHops))")
        }
        let parsed = try targets.map { target throws(ValidationError) in
            do throws(ProbeTarget.Invalid) { return try ProbeTarget(parsing: target) } catch { throw ValidationError(error.description) }
        }
        signal(SIGPIPE, SIG_IGN)  // a server that resets the connection must not end the process
        let configuration = try detection.setup.prepare()
        var prober = Prober(rules: RuleSet(configuration),
                            records: ReadRecords(format: format, events: .all, includeChain: certificateChain,
                                                 indicators: configuration.indicators, deduplicator: nil),
                            format: format)
        if !noLocate { prober.locating = InterceptorLocator.Limits(maxHops: maxHops) }
        for (index, target) in parsed.enumerated() {
            var request = TLSProbeRequest(host: target.host, port: target.port,
                                          serverName: sni ?? (target.isAddress ? nil : target.host))
            request.versions = tls
            request.timeoutSeconds = timeout
            prober.probe(target, request: request, id: UInt64(index + 1))
        }
        if prober.alerted { throw ExitCode(3) }
        if prober.failed { throw ExitCode(1) }
    }
}

/// Runs probes one after the other and writes what each found, as `read` writes sessions.
struct Prober {
    var rules: RuleSet
    var records: ReadRecords
    let format: ReadCommand.Format
    var cache = CertificateCache()
    /// An alert of severity high or critical fired.
    private(set) var alerted = false
    /// A probe could not complete.
    private(set) var failed = false
    /// Look for the interceptor after an alert, within these limits; nil not to.
    var locating: InterceptorLocator.Limits?

    init(rules: RuleSet, records: ReadRecords, format: ReadCommand.Format) {
        self.rules = rules
        self.records = records
        self.format = format
    }

    mutating func probe(_ target: ProbeTarget, request: TLSProbeRequest, id: UInt64) {
        var request = request
        if !target.isAddress {
            do {
                request.host = try HostAddress.resolve(target.host)[0]
            } catch {
                fail(target, request: request, kind: "resolve-failed", detail: error.description)
                return
            }
        }
        switch TLSProbe.run(request) {
        case .success(let result):
            let report = ProbeSession.report(result, request: request, id: id, trigger: .cli, rules: &rules,
                                             cache: &cache)
            var output = JSONBuffer()
            records.append(report, into: &output)
            StandardStreams.write(output.bytes)
            if report.findings.contains(where: { $0.severity == .high || $0.severity == .critical }) {
                alerted = true
                if let locating { locate(after: report, request: request, limits: locating) }
            }
        case .failure(let error):
            fail(target, request: request, kind: error.kind.rawValue, detail: error.detail)
        }
    }

    /// The interceptor's distance, written after the alert (which is out already: looking takes
    /// up to the limits' deadline).
    private func locate(after report: SessionReport, request: TLSProbeRequest, limits: InterceptorLocator.Limits) {
        printToStandardError("looking for the interceptor of \(report.session.server.description) at TTL 1 to \(limits.maxHops)")
        let location = InterceptorLocator.locate(after: report, request: request, limits: limits)
        var output = JSONBuffer()
        if format == .json {
            InterceptorLocationRecord.write(location, into: &output)
        } else {
            output.appendLine(InterceptorLocationRecord.text(location))
        }
        StandardStreams.write(output.bytes)
    }

    /// Says in words (and, for json, as a `mitmwatch.probe` event with `event.outcome: failure`)
    /// that the probe could not complete.
    private mutating func fail(_ target: ProbeTarget, request: TLSProbeRequest, kind: String, detail: String) {
        failed = true
        let words = "probe \(target) could not complete: \(kind): \(detail)"
        guard format == .json else {
            StandardStreams.writeLine(words)
            return
        }
        printToStandardError(words)
        var json = JSONBuffer()
        ProbeFailureRecord.write(target: target.description, address: HostAddress.parse(request.host), port: request.port,
                                 serverName: request.serverName, offeredVersions: request.versions.offered,
                                 kind: kind, detail: detail, at: ProbeSession.timestamp(Date().timeIntervalSince1970),
                                 into: &json)
        StandardStreams.write(json.bytes)
    }
}

/// `--tls 1.2|1.3|any`: the client's own offer, by the values it writes in records.
extension TLSProbeVersions: ExpressibleByArgument, CaseIterable {
    public static let allCases: [TLSProbeVersions] = [.tls12, .tls13, .any]
}
