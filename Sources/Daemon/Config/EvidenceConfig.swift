import Sniffer

extension DaemonConfig {
    /// Evidence bundles (`evidence.*`): a folder per alerting session — chain, records, and the
    /// handshake's frames — bounded by `max_bytes`.
    struct Evidence: Equatable {
        var enabled = true
        var dir = "/var/lib/mitmwatch/evidence"
        var maxBytes: Int64 = 256 << 20
        var maxPacketsPerFlow = EvidenceLimits.bundles.maxPacketsPerFlow
        var maxBytesPerFlow = EvidenceLimits.bundles.maxBytesPerFlow
        /// Frames held by all capture threads' followed flows at once (each gets its share).
        var memcap = EvidenceLimits.bundles.memcap

        /// One capture thread's frame-keeping limits (off when bundles are).
        func limits(workers: Int) -> EvidenceLimits {
            guard enabled else { return EvidenceLimits() }
            return EvidenceLimits(maxPacketsPerFlow: maxPacketsPerFlow, maxBytesPerFlow: maxBytesPerFlow,
                                  memcap: max(memcap / max(workers, 1), maxBytesPerFlow))
        }
    }

    static func decodeEvidence(_ keys: Keys) throws(Invalid) -> Evidence {
        var evidence = Evidence()
        try keys.allow(["enabled", "dir", "max_bytes", "max_packets_per_flow", "max_bytes_per_flow", "memcap"])
        if let v = try keys.bool("enabled") { evidence.enabled = v }
        if let v = try keys.string("dir") {
            guard v.hasPrefix("/"), v.count > 1 else {
                throw Invalid(description: "key 'evidence.dir': \"\(v)\" is not an absolute path")
            }
            evidence.dir = v.hasSuffix("/") ? String(v.dropLast()) : v
        }
        // At least 1 MiB: the largest bundle (256 KiB of frames, a chain, the records) fits.
        if let v = try keys.int("max_bytes", in: 1 << 20...1 << 40) { evidence.maxBytes = Int64(v) }
        if let v = try keys.int("max_packets_per_flow", in: 1...1024) { evidence.maxPacketsPerFlow = v }
        if let v = try keys.int("max_bytes_per_flow", in: 4096...(256 << 10)) { evidence.maxBytesPerFlow = v }
        if let v = try keys.int("memcap", in: (256 << 10)...(1 << 34)) { evidence.memcap = v }
        return evidence
    }
}
