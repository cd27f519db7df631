import Certificates
import OpenSSLBridge

/// A batch as UPSERTs (`StoreStatements`, which PostgresObservationStore runs too).
extension SQLiteObservationStore {
    public func write(_ batch: StoreBatch, sensor: String) throws(StoreError) {
        var written: Set<[UInt8]> = []
        try transaction("write a batch") { () throws(StoreError) in
            var nameIDs: [ObservedName: Int64] = [:]
            for certificate in batch.certificates { try insert(certificate) }
            for chain in batch.chains {
                let nameID = try id(of: chain.name, cache: &nameIDs)
                let digest = hasher.chainDigest(chain.certificates)
                try upsert(chain, digest: digest, nameID: nameID, sensor: sensor,
                           listed: knownChains.contains(digest) || written.contains(digest))
                written.insert(digest)
            }
            for profile in batch.profiles {
                let nameID = try id(of: profile.name, cache: &nameIDs)
                try upsert(profile, nameID: nameID, sensor: sensor)
            }
            if let dedup = batch.dedup { try replaceDedup(dedup, sensor: sensor) }
        }
        if knownChains.count + written.count > Self.knownChainsCapacity { knownChains.removeAll() }
        knownChains.formUnion(written)  // committed
    }

    private func id(of name: ObservedName, cache: inout [ObservedName: Int64]) throws(StoreError) -> Int64 {
        if let id = cache[name] { return id }
        var id: Int64 = 0
        try query(StoreStatements.upsertName,
                  "write a name", bind: { s throws(SQLiteError) in
                      try s.bind(name.name, at: 1)
                      try s.bind(name.kind.rawValue, at: 2)
                  }, row: { id = $0.int64(0) })
        cache[name] = id
        return id
    }

    private func insert(_ certificate: StoredCertificate) throws(StoreError) {
        try query(StoreStatements.insertCertificate, "write a certificate", bind: { s throws(SQLiteError) in
                try s.bind(certificate.sha256.digest.bytes, at: 1)
                try s.bind(certificate.der, at: 2)
                try s.bind(certificate.subject, at: 3)
                try s.bind(certificate.issuer, at: 4)
                try s.bind(certificate.notBefore, at: 5)
                try s.bind(certificate.notAfter, at: 6)
                try s.bind(certificate.spkiSHA256?.digest.bytes, at: 7)
                try s.bind(certificate.isCA.map { $0 ? Int64(1) : 0 }, at: 8)
            }, row: { _ in })
    }

    /// `listed`: the chain's certificate list is known to be stored already.

    private func upsert(_ chain: ChainObservation, digest: [UInt8], nameID: Int64, sensor: String, listed: Bool) throws(StoreError) {
        try query(StoreStatements.upsertChain, "write a chain", bind: { s throws(SQLiteError) in
                try s.bind(digest, at: 1)
                try s.bind(chain.certificates.first?.digest.bytes ?? [], at: 2)
                try s.bind(chain.certificates.count, at: 3)
                try s.bind(chain.issuer, at: 4)
                try s.bind(chain.issuingCA, at: 5)
            }, row: { _ in })
        for (position, certificate) in chain.certificates.enumerated() where !listed {
            try query(StoreStatements.insertChainCertificate, "write a chain", bind: { s throws(SQLiteError) in
                    try s.bind(digest, at: 1)
                    try s.bind(position, at: 2)
                    try s.bind(certificate.digest.bytes, at: 3)
                }, row: { _ in })
        }
        var rowID: Int64 = 0
        try query(StoreStatements.upsertNameChain, "write a chain", bind: { s throws(SQLiteError) in
                try s.bind(nameID, at: 1)
                try s.bind(digest, at: 2)
                try s.bind(sensor, at: 3)
                try s.bind(chain.firstSeen, at: 4)
                try s.bind(chain.lastSeen, at: 5)
                try s.bind(chain.count, at: 6)
                try s.bind(chain.passiveCount, at: 7)
                try s.bind(chain.probeCount, at: 8)
            }, row: { rowID = $0.int64(0) })
        for rule in chain.rules {
            try query(StoreStatements.insertRule,
                      "write a chain", bind: { s throws(SQLiteError) in
                          try s.bind(rowID, at: 1)
                          try s.bind(rule, at: 2)
                      }, row: { _ in })
        }
    }

    private func upsert(_ profile: ProfileObservation, nameID: Int64, sensor: String) throws(StoreError) {
        let key = profile.key
        try query(StoreStatements.upsertProfile, "write a ServerHello profile", bind: { s throws(SQLiteError) in
                try s.bind(nameID, at: 1)
                try s.bind(sensor, at: 2)
                try s.bind(Int(key.version), at: 3)
                try s.bind(Int(key.cipherSuite), at: 4)
                try s.bind(key.keyShareGroup.map(Int.init) ?? -1, at: 5)
                try s.bind(key.extensionTypesText, at: 6)
                try s.bind(key.alpn ?? "", at: 7)
                try s.bind(key.clientOfferedTLS13 ? 1 : 0, at: 8)
                try s.bind(key.clientOfferedMLKEM ? 1 : 0, at: 9)
                try s.bind(key.observation, at: 10)
                try s.bind(profile.firstSeen, at: 11)
                try s.bind(profile.lastSeen, at: 12)
                try s.bind(profile.count, at: 13)
            }, row: { _ in })
    }

    private func replaceDedup(_ entries: [DedupEntry], sensor: String) throws(StoreError) {
        try query(StoreStatements.deleteDedup, "save the alert deduplication state",
                  bind: { s throws(SQLiteError) in try s.bind(sensor, at: 1) }, row: { _ in })
        for entry in entries {
            try query(StoreStatements.insertDedup,
                      "save the alert deduplication state", bind: { s throws(SQLiteError) in
                          try s.bind(sensor, at: 1)
                          try s.bind(entry.key, at: 2)
                          try s.bind(entry.lastEmittedNanoseconds, at: 3)
                          try s.bind(entry.suppressed, at: 4)
                      }, row: { _ in })
        }
    }
}
