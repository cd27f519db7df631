@testable import Daemon
import Foundation
import Sniffer
import Testing

/// Every cap is a configuration key: it reaches the sniffer's limits, and a value out of range is
/// an error naming the key, the value and what is allowed.
@Suite struct ConfigLimitsTests {
    static func decode(_ json: String) throws -> DaemonConfig {
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        return try DaemonConfig.decode(value)
    }

    @Test func everyLimitReachesTheSniffer() throws {
        let config = try Self.decode("""
            {"limits": {"max_flows": 1000, "idle_timeout_seconds": 60, "max_flow_bytes": 65536, "memcap": 1048576,
             "max_pending_segments": 32, "max_sequence_lookahead": 100000, "max_prelude_bytes": 1024,
             "max_resync_bytes": 2048, "max_tunnel_depth": 2, "fragment_timeout_seconds": 5,
             "fragment_memcap": 131072, "max_fragment_trains": 64, "max_chain_certificates": 16}}
            """)
        let limits = config.snifferLimits
        #expect(limits.flows.maxFlows == 1000)
        #expect(limits.flows.idleTimeoutSeconds == 60)
        #expect(limits.reassembly.maxFlowBytes == 65536)
        #expect(limits.reassembly.memcap == 1_048_576)
        #expect(limits.reassembly.maxPendingSegments == 32)
        #expect(limits.reassembly.maxSequenceLookahead == 100_000)
        #expect(limits.reassembly.maxPreludeBytes == 1024)
        #expect(limits.reassembly.maxResyncBytes == 2048)
        #expect(limits.decoder.maxTunnelDepth == 2)
        #expect(limits.decoder.fragmentTimeoutSeconds == 5)
        #expect(limits.decoder.fragmentMemcap == 131_072)
        #expect(limits.decoder.maxFragmentTrains == 64)
        #expect(limits.reassembly.maxCertificatesPerChain == 16)
    }

    @Test func defaultsAreTheSniffersDefaults() throws {
        let limits = try Self.decode("{}").snifferLimits
        #expect(limits.reassembly == ReassemblyLimits())
        #expect(limits.flows == FlowLimits())
        #expect(limits.decoder.maxTunnelDepth == DecoderLimits().maxTunnelDepth)
        #expect(limits.decoder.fragmentMemcap == DecoderLimits().fragmentMemcap)
    }

    @Test(arguments: [
        (#"{"limits": {"max_tunnel_depth": 99}}"#, "key 'limits.max_tunnel_depth': expected an integer from 0 to 16, got 99"),
        (#"{"limits": {"max_pending_segments": 0}}"#, "key 'limits.max_pending_segments'"),
        (#"{"limits": {"fragment_memcap": "lots"}}"#, "key 'limits.fragment_memcap'"),
        (#"{"limits": {"max_resync_bytes": 1.5}}"#, "key 'limits.max_resync_bytes'"),
        (#"{"limits": {"max_fragment_trains": 1}}"#, "key 'limits.max_fragment_trains'"),
        (#"{"limits": {"max_chain_certificates": 0}}"#, "key 'limits.max_chain_certificates': expected an integer from 1 to 10000, got 0"),
    ])
    func outOfRangeValuesNameTheKey(json: String, message: String) {
        do {
            _ = try Self.decode(json)
            Issue.record("accepted \(json)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func workersShareTheFragmentBudgets() throws {
        var config = try Self.decode(#"{"limits": {"fragment_memcap": 1048576, "max_fragment_trains": 4096}}"#)
        config.capture.workers = 4
        #expect(config.workerLimits.decoder.fragmentMemcap == 262_144)
        #expect(config.workerLimits.decoder.maxFragmentTrains == 1024)
    }
}
