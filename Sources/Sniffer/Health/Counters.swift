/// Everything the sniffer counts. Each counter is either plain activity or a *drop*: something
/// that was not examined, or not examined fully, with the reason in its name. Names are stable:
/// they appear in the `read` summary and (later) as metric labels.
public enum Counter: Int, CaseIterable, Sendable {
    // Capture and decode
    case packets, bytes, ipv4Packets, ipv6Packets, tcpSegments, udpDatagrams, tunnelledPackets
    case ignoredNonIP, ignoredOtherTransport
    case ipFragments, ipDatagramsReassembled
    // Flows and reassembly
    case flowsCreated, flowsEvictedIdle, flowsBypassed, segmentsInBypassedFlows
    case segmentsOutOfOrder, segmentsRetransmitted, overlapBytesTrimmed
    /// Overlapping copies of the same sequence range that disagree (see `StreamReassembler`): the
    /// segments that brought a differing copy, and the bytes found to differ.
    case segmentsOverlapInconsistent, overlapInconsistentBytes
    case reassemblyGaps, tlsResyncs
    // TLS
    case tlsSessions, tlsRecords, clientHellos, serverHellos, sslv2Hellos
    case certificateMessages, certificates, tls13ChainsEncrypted
    /// Server chains with a certificate that is not DER X.509, or with none at all.
    case malformedChains

    // Drops: what was not examined, by reason.
    case dropLinkUnsupported, dropLinkTruncated, dropIPv4Malformed, dropIPv6Malformed, dropTCPMalformed
    case dropTunnelTooDeep, dropTunnelMalformed, dropUDPMalformed, dropSnaplenTruncated
    case dropFragmentMalformed, dropFragmentTimeout, dropFragmentMemcap, dropFragmentOverlap
    case dropFlowTableFull, dropSequenceOutOfWindow, dropPendingSegmentLimit
    case dropFlowByteCap, dropReassemblyMemcap, dropFlowStateMemcap, dropMemcapEviction, dropGapUnrecoverable
    case dropTLSRecordInvalid, dropHandshakeMalformed, dropCertificateMessageMalformed
    case dropCertificateMessageOverCap, dropChainCertificatesOverCap, dropNotTLS

    /// Stable snake_case name for summaries and metrics.
    public var name: String {
        switch self {
        case .packets: "packets"
        case .bytes: "bytes"
        case .ipv4Packets: "ipv4_packets"
        case .ipv6Packets: "ipv6_packets"
        case .tcpSegments: "tcp_segments"
        case .udpDatagrams: "udp_datagrams"
        case .tunnelledPackets: "tunnelled_packets"
        case .ignoredNonIP: "ignored_non_ip"
        case .ignoredOtherTransport: "ignored_other_transport"
        case .ipFragments: "ip_fragments"
        case .ipDatagramsReassembled: "ip_datagrams_reassembled"
        case .flowsCreated: "flows_created"
        case .flowsEvictedIdle: "flows_expired_idle"
        case .flowsBypassed: "flows_bypassed"
        case .segmentsInBypassedFlows: "segments_in_bypassed_flows"
        case .segmentsOutOfOrder: "segments_out_of_order"
        case .segmentsRetransmitted: "segments_retransmitted"
        case .overlapBytesTrimmed: "overlap_bytes_trimmed"
        case .segmentsOverlapInconsistent: "segments_overlap_inconsistent"
        case .overlapInconsistentBytes: "overlap_inconsistent_bytes"
        case .reassemblyGaps: "reassembly_gaps"
        case .tlsResyncs: "tls_resyncs"
        case .tlsSessions: "tls_sessions"
        case .tlsRecords: "tls_records"
        case .clientHellos: "client_hellos"
        case .serverHellos: "server_hellos"
        case .sslv2Hellos: "sslv2_hellos"
        case .certificateMessages: "certificate_messages"
        case .certificates: "certificates"
        case .tls13ChainsEncrypted: "tls13_chains_encrypted"
        case .malformedChains: "malformed_chains"
        case .dropLinkUnsupported: "link_type_unsupported"
        case .dropLinkTruncated: "link_header_truncated"
        case .dropIPv4Malformed: "ipv4_malformed"
        case .dropIPv6Malformed: "ipv6_malformed"
        case .dropTCPMalformed: "tcp_malformed"
        case .dropTunnelTooDeep: "tunnel_too_deep"
        case .dropTunnelMalformed: "tunnel_malformed"
        case .dropUDPMalformed: "udp_malformed"
        case .dropSnaplenTruncated: "snaplen_truncated"
        case .dropFragmentMalformed: "fragment_malformed"
        case .dropFragmentTimeout: "fragment_timeout"
        case .dropFragmentMemcap: "fragment_memcap"
        case .dropFragmentOverlap: "fragment_overlap_conflict"
        case .dropFlowTableFull: "flow_table_full"
        case .dropSequenceOutOfWindow: "sequence_out_of_window"
        case .dropPendingSegmentLimit: "pending_segment_limit"
        case .dropFlowByteCap: "flow_byte_cap"
        case .dropReassemblyMemcap: "reassembly_memcap"
        case .dropFlowStateMemcap: "flow_state_memcap"
        case .dropMemcapEviction: "memcap_eviction"
        case .dropGapUnrecoverable: "gap_unrecoverable"
        case .dropTLSRecordInvalid: "tls_record_invalid"
        case .dropHandshakeMalformed: "handshake_malformed"
        case .dropCertificateMessageMalformed: "certificate_message_malformed"
        case .dropCertificateMessageOverCap: "certificate_message_over_cap"
        case .dropChainCertificatesOverCap: "chain_certificates_over_cap"
        case .dropNotTLS: "not_tls"
        }
    }

    public var isDrop: Bool { rawValue >= Counter.dropLinkUnsupported.rawValue }
}

/// A fixed set of counters (one allocation, made once). Workers each own one; merge to report.
public struct Counters: Sendable, Equatable {
    /// Room for every counter, inline: adding to one is a store, with no array uniqueness check
    /// on the per-packet path. `Counter.allCases.count` must stay within it (checked at init).
    private var values = InlineArray<64, UInt64>(repeating: 0)

    public init() { precondition(Counter.allCases.count <= 64, "Counters: grow the inline storage") }

    public subscript(_ counter: Counter) -> UInt64 {
        get { values[counter.rawValue] }
        set { values[counter.rawValue] = newValue }
    }

    @inline(__always)
    public mutating func add(_ counter: Counter, _ amount: UInt64 = 1) {
        values[counter.rawValue] &+= amount
    }

    public mutating func merge(_ other: Counters) {
        for index in values.indices { values[index] &+= other.values[index] }
    }

    public static func == (lhs: Counters, rhs: Counters) -> Bool {
        lhs.values.indices.allSatisfy { lhs.values[$0] == rhs.values[$0] }
    }

    /// Non-zero drops, by reason.
    public var drops: [(Counter, UInt64)] {
        Counter.allCases.filter { $0.isDrop && self[$0] > 0 }.map { ($0, self[$0]) }
    }
}
