@testable import Daemon
import Detector
import Foundation
import OpenSSLBridge
import Sniffer
import Testing
import TestSupport

/// `InterceptorLocator` on loopback, where every TTL reaches the server: the first try ends the
/// search — located when the chain is the forged one, not when it is another; and its bounds.
@Suite struct InterceptorLocationLoopbackTests {
    /// A Kazakhstan-style server on 127.0.0.1 and the report of a probe that was shown `chain`.
    struct Setup {
        let kit: OpenSSLKit
        let server: ListeningProcess
        let forged: [[UInt8]]

        init() throws {
            kit = try OpenSSLKit()
            try LiveDaemonTests.kazakhstanChain(kit)
            server = try ListeningProcess("/usr/bin/openssl", ["s_server", "-accept", "127.0.0.1:0", "-cert", "leaf.pem",
                                                               "-key", "leaf.key", "-cert_chain", "intermediate.pem"],
                                          in: kit.directory, readyPrefix: "ACCEPT ")
            forged = [try kit.der("leaf"), try kit.der("intermediate")]
        }

        /// SIGKILL by PID: the test runner's processes may inherit SIGTERM ignored.
        func stop() {
            kill(server.pid, SIGKILL)
            server.stop()
        }

        func request(port: UInt16? = nil) -> TLSProbeRequest {
            var request = TLSProbeRequest(host: "127.0.0.1", port: port ?? server.port, serverName: "www.facebook.example")
            request.timeoutSeconds = 5
            return request
        }

        func report(chain: [[UInt8]], port: UInt16? = nil) -> SessionReport {
            let server = Endpoint(address: IPAddress(ipv4: 0x7F00_0001), port: port ?? self.server.port)
            let session = TLSSession(id: 7, start: Timestamp(seconds: 1), end: Timestamp(seconds: 2),
                                     client: Endpoint(address: IPAddress(ipv4: 0x7F00_0001), port: 40_000), server: server)
            return SessionReport(session: session, findings: [], serverChainDER: chain, observation: .probe,
                                 probe: ProbeDetails(trigger: .unobservedSession, offeredVersions: ["1.2", "1.3"],
                                                     triggeringSession: 3))
        }
    }

    @Test func theForgedChainAtTTL1IsOneHop() throws {
        let setup = try Setup()
        defer { setup.stop() }
        let location = InterceptorLocator.locate(after: setup.report(chain: setup.forged), request: setup.request())
        #expect(location.hops == 1)
        #expect(location.ending == .located)
        #expect(location.tries == [.init(ttl: 1, outcome: .forgedChain)])
        #expect(location.server == Endpoint(address: IPAddress(ipv4: 0x7F00_0001), port: setup.server.port))
        #expect(location.serverName == "www.facebook.example")
        #expect(location.probeSession == 7 && location.triggeringSession == 3 && location.trigger == .unobservedSession)
        #expect(location.maxHops == 30)
    }

    @Test func anotherChainEndsTheSearchWithoutAHopCount() throws {
        let setup = try Setup()
        defer { setup.stop() }
        let other = [try setup.kit.der("root")]
        let location = InterceptorLocator.locate(after: setup.report(chain: other), request: setup.request())
        #expect(location.hops == nil)
        #expect(location.ending == .otherChain)
        #expect(location.tries == [.init(ttl: 1, outcome: .otherChain)])
    }

    @Test func anUnreachableServerEndsAtOnceAndTheDeadlineBoundsTheTries() throws {
        let setup = try Setup()
        setup.stop()  // nothing listens on its port any more
        let refused = InterceptorLocator.locate(after: setup.report(chain: setup.forged), request: setup.request())
        #expect(refused.ending == .unreachable)
        #expect(refused.tries.map(\.outcome) == [.unreachable])
        #expect(refused.tries.first?.detail?.hasPrefix("connection-refused: ") == true)

        var limits = InterceptorLocator.Limits()
        limits.deadlineSeconds = 0
        let late = InterceptorLocator.locate(after: setup.report(chain: setup.forged), request: setup.request(), limits: limits)
        #expect(late.ending == .deadline && late.tries.isEmpty && late.hops == nil)
    }

    @Test func aNewLeafUnderTheSameIssuingCertificateIsTheForgedChain() {
        let leaf: [UInt8] = [1, 2], other: [UInt8] = [3], issuer: [UInt8] = [9]
        #expect(InterceptorLocator.isForged([leaf], like: [leaf]))
        #expect(InterceptorLocator.isForged([other, issuer], like: [leaf, issuer]))
        #expect(!InterceptorLocator.isForged([other, issuer], like: [leaf]))
        #expect(!InterceptorLocator.isForged([other], like: [leaf, issuer]))
        #expect(!InterceptorLocator.isForged([], like: [leaf]))
    }
}
