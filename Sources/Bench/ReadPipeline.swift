import BenchAllocationCounter
import Detector
import Sniffer

/// The pipeline `mitmwatch read` runs, in process and without output, over the same capture with
/// the same rules (built-in indicators, untrusted-chain and missing-sct against the capture's
/// trust store): `pipeline --rules daemon-default`, with that trust store instead of the system's.
struct InProcessPipeline {
    var outcome: PassOutcome
    var passNs: [Double]
    var packets: Int
    var allocations: mw_alloc_counts
    /// A pass with missing-sct off: every session of the capture then takes the path a clean
    /// session takes with default rules (chain copied for untrusted-chain, verdict cached, no
    /// pending entry), so its allocations per handshake are those of a clean handshake.
    var cleanOutcome: PassOutcome
    var cleanAllocations: mw_alloc_counts

    var medianNs: Double { percentile(passNs, 0.5) }
    var handshakesPerSecond: Double { Double(outcome.sessionsWithChain) / (medianNs / 1e9) }
    var allocationsPerHandshake: Double { Double(allocations.allocations) / Double(max(outcome.sessionsWithChain, 1)) }
    var allocationsPerCleanHandshake: Double {
        Double(cleanAllocations.allocations) / Double(max(cleanOutcome.sessionsWithChain, 1))
    }
    /// What a session with a missing-sct finding allocates beyond a clean one (pending entry,
    /// finding, kept chain), from the difference of the two passes.
    var extraAllocationsPerAlert: Double {
        (Double(allocations.allocations) - Double(cleanAllocations.allocations)) / Double(max(outcome.findings, 1))
    }

    static func measure(capture: String, trustStore: String, iterations: Int) throws -> InProcessPipeline {
        try requireAllocationCounter()
        var frames = try CapturedFrames.load(path: capture)
        guard frames.count > 0 else { throw BenchError("no packets in \(capture)") }
        let rules = try DaemonDefaultRules(trustStore: trustStore)
        frames.detection = rules
        let indicators = IndicatorSet.builtIn()

        let reference = frames.runPass(indicators: indicators)
        mw_alloc_counter_start()
        let counted = frames.runPass(indicators: indicators)
        let allocations = mw_alloc_counter_stop()
        var passes: [Double] = []
        var mismatches = counted == reference ? 0 : 1
        for _ in 0..<iterations {
            let start = monotonicNanoseconds()
            if frames.runPass(indicators: indicators) != reference { mismatches += 1 }
            passes.append(Double(monotonicNanoseconds() &- start))
        }
        if mismatches > 0 { throw BenchError("\(mismatches) pipeline passes reported different sessions than the warm-up") }

        mw_alloc_counter_start()
        let clean = frames.passWithoutMissingSCT(rules: rules, indicators: indicators)
        let cleanAllocations = mw_alloc_counter_stop()
        return InProcessPipeline(outcome: reference, passNs: passes.sorted(), packets: frames.count,
                                 allocations: allocations, cleanOutcome: clean, cleanAllocations: cleanAllocations)
    }
}

extension CapturedFrames {
    /// One pass as `runPass` makes it, with the chain rules of `rules` but missing-sct off.
    func passWithoutMissingSCT(rules: DaemonDefaultRules, indicators: IndicatorSet) -> PassOutcome {
        let tally = SessionTally()
        var configuration = rules.configuration(indicators)
        configuration.missingSCT = false
        var pipeline = Pipeline(observer: DetectionObserver(rules: RuleSet(configuration)) { report in
            tally.sessions += 1
            if report.session.serverChain != nil { tally.sessionsWithChain += 1 }
            tally.findings += report.findings.count
        })
        let all = storage.span
        for index in ranges.indices {
            pipeline.process(frame: all.extracting(ranges[index]), originalLength: wireLengths[index],
                             linkType: linkType, at: times[index])
        }
        pipeline.finish()
        return PassOutcome(sessions: tally.sessions, sessionsWithChain: tally.sessionsWithChain, findings: tally.findings)
    }
}
