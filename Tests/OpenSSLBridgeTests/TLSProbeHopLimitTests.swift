import Foundation
import OpenSSLBridge
import Testing
import TestSupport

/// `TLSProbeRequest.clientHelloTTL`: validated, and on loopback (local delivery, no router to
/// count down the TTL) even TTL 1 completes the handshake. The routed cases — ICMP time exceeded
/// from a router before the server — are InterceptorLocationTests, in network namespaces.
@Suite struct TLSProbeHopLimitTests {
    @Test(arguments: [0, -1, 256, Int.max])
    func aTTLOutside1To255IsAnInvalidRequest(ttl: Int) {
        var request = TLSProbeRequest(host: "127.0.0.1", port: 443, serverName: nil)
        request.clientHelloTTL = ttl
        guard case .failure(let error) = TLSProbe.run(request) else {
            Issue.record("TTL \(ttl) was accepted")
            return
        }
        #expect(error.kind == .invalidRequest)
        #expect(error.detail == "ClientHello TTL \(ttl) is not in 1...255")
    }

    @Test(arguments: [false, true])
    func ttl1CompletesOnLoopback(ipv6: Bool) throws {
        let pki = try ProbeServerPKI()
        let server = try pki.server(["-tls1_3"], ipv6: ipv6)
        defer {
            kill(server.pid, SIGKILL)  // by PID: SIGTERM may be inherited ignored
            server.stop()
        }
        for ttl in [1, 255] {
            var request = TLSProbeRequest(host: ipv6 ? "::1" : "127.0.0.1", port: server.port, serverName: "probe.example")
            request.timeoutSeconds = 5
            request.clientHelloTTL = ttl
            let result = try TLSProbe.run(request).get()
            #expect(result.chain == [pki.leaf, pki.intermediate, pki.root])
            #expect(result.protocolVersion == 0x0304)
        }
    }
}
