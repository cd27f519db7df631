import Detector
import Foundation
import OpenSSLBridge
import Sniffer

/// Looks for the interceptor behind a probe's alert: the same handshake again, each time on a new
/// TCP connection (made with the default TTL) whose ClientHello goes out at IP TTL 1, 2, 3, …
/// (IPv6 hop limit). Routers before the interceptor answer with ICMP time exceeded (or nothing);
/// the first TTL whose handshake completes with the forged chain is the interceptor's distance.
/// Blocking, one connection at a time, bounded in tries and time.
enum InterceptorLocator {
    struct Limits: Sendable {
        /// The highest TTL tried (1...255).
        var maxHops = Self.defaultMaxHops
        /// One try's limit (the alerting probe's timeout when that is shorter).
        var tryTimeoutSeconds = 3.0
        /// All tries together.
        var deadlineSeconds = 60.0

        static let defaultMaxHops = 30
    }

    /// The tries after `report`'s alert, whose chain (`serverChainDER`, as a probe's report keeps it)
    /// is the forged one; `request` is the probe that was shown it.
    static func locate(after report: SessionReport, request: TLSProbeRequest, limits: Limits = Limits()) -> InterceptorLocation {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(limits.deadlineSeconds))
        let maxHops = min(max(limits.maxHops, 1), 255)
        var tries: [InterceptorLocation.Try] = []
        var ending = InterceptorLocation.Ending.maxHops
        for ttl in 1...maxHops {
            let (seconds, attoseconds) = clock.now.duration(to: deadline).components
            let remaining = Double(seconds) + Double(attoseconds) / 1e18
            guard remaining >= 0.05 else {
                ending = .deadline
                break
            }
            var attempt = request
            attempt.clientHelloTTL = ttl
            attempt.timeoutSeconds = min(limits.tryTimeoutSeconds, request.timeoutSeconds, remaining)
            let tried = handshake(attempt, forged: report.serverChainDER)
            tries.append(tried)
            if let end = endingAfter(tried.outcome) {
                ending = end
                break
            }
        }
        return InterceptorLocation(server: report.session.server, serverName: request.serverName,
                                   probeSession: report.session.id, triggeringSession: report.probe?.triggeringSession,
                                   trigger: report.probe?.trigger ?? .cli, tries: tries, ending: ending, maxHops: maxHops,
                                   end: ProbeSession.timestamp(Date().timeIntervalSince1970))
    }

    /// One TTL's handshake and what it showed.
    private static func handshake(_ request: TLSProbeRequest, forged: [[UInt8]]) -> InterceptorLocation.Try {
        let ttl = request.clientHelloTTL ?? 0
        switch TLSProbe.run(request) {
        case .success(let result):
            return .init(ttl: ttl, outcome: isForged(result.chain, like: forged) ? .forgedChain : .otherChain)
        case .failure(let error):
            let outcome: InterceptorLocation.Outcome = switch error.kind {
            case .timeExceeded: .timeExceeded
            case .timeout: .noAnswer
            case .connectRefused, .connectFailed, .invalidRequest: .unreachable
            case .handshakeFailed, .handshakeTooLarge, .closed: .failed
            }
            return .init(ttl: ttl, outcome: outcome, detail: error.description)
        }
    }

    /// nil to go on to the next TTL.
    private static func endingAfter(_ outcome: InterceptorLocation.Outcome) -> InterceptorLocation.Ending? {
        switch outcome {
        case .forgedChain: .located
        case .otherChain: .otherChain
        case .unreachable: .unreachable
        // A router that drops the ClientHello, says nothing, or is a middlebox that resets it:
        // the interceptor may still be further on.
        case .timeExceeded, .noAnswer, .failed: nil
        }
    }

    /// The same leaf, or the same certificate after it: an interceptor that mints a new leaf per
    /// connection still signs it with the same issuing certificate.
    static func isForged(_ chain: [[UInt8]], like forged: [[UInt8]]) -> Bool {
        guard let leaf = chain.first, let forgedLeaf = forged.first else { return false }
        if leaf == forgedLeaf { return true }
        return chain.count > 1 && forged.count > 1 && chain[1] == forged[1]
    }
}
