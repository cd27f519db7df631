import Certificates
import Foundation
import Sniffer
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An evidence directory (`evidence.dir`, `read --evidence`): one folder per alerting session,
/// named in its alerts, the whole bounded by `evidence.max_bytes` (what the folders take on disk)
/// — the oldest folders are removed first, and counted. Names are reserved by the threads that
/// report alerts, the files written by the evidence writer's thread (`EvidenceWriter`); the
/// index of folders is behind a lock.
///
/// A folder is written under a `.partial` name and renamed when complete, so a reader never
/// finds half a bundle; leftovers of a crash are removed when the directory is first used. The
/// directory is opened on the first bundle (after the daemon has become its user), made if
/// missing (mode 0700: bundles hold the start of users' connections) — its parent must exist.
final class EvidenceDirectory: Sendable {
    let path: String
    let maxBytes: Int64
    private let state = Mutex(State())

    struct Counts: Sendable, Equatable {
        var written = 0
        /// Could not be written (directory missing or unwritable, disk full): the alert went out without.
        var failed = 0
        /// Of those, not written because the writer's queue was full (an alert flood).
        var queueFull = 0
        /// Removed to stay within `max_bytes`.
        var removed = 0
        /// What the bundles in the directory take on disk now (4 KiB blocks).
        var bytes: Int64 = 0
    }

    private struct State {
        var usable = false
        /// When a directory that could not be used is tried again (seconds since 1970).
        var retryAt: Double = 0
        /// Folders oldest first, with their bytes; `head` is the oldest still there.
        var bundles: [(name: String, bytes: Int64)] = []
        var head = 0
        var names = Set<String>()
        var counts = Counts()
        /// The failure last said, so a failing directory is said once, not per alert.
        var failing: String?
    }

    static let retrySeconds = 60.0

    init(path: String, maxBytes: Int64) {
        self.path = path
        self.maxBytes = maxBytes
    }

    var counts: Counts { state.withLock { $0.counts } }

    /// Reserves the folder name for a session's bundle: its end (UTC) and session id, unique in
    /// the directory. Nil when the directory cannot be used (said once, counted).
    func reserve(_ session: TLSSession, say: (String) -> Void) -> String? {
        state.withLock { state in
            if !state.usable, Date().timeIntervalSince1970 >= state.retryAt { open(&state, say: say) }
            guard state.usable else {
                state.counts.failed += 1
                return nil
            }
            let stamp = CertificateTime.rfc3339(session.end.seconds).filter { $0 != "-" && $0 != ":" }
            let base = "\(stamp)-s\(session.id)"
            var name = base
            var suffix = 2
            // Every bundle in the directory is indexed (at open, and as written): no stat needed.
            while state.names.contains(name) {
                name = base + "-\(suffix)"
                suffix += 1
            }
            state.names.insert(name)
            return path + "/" + name
        }
    }

    /// Writes the bundle's files into the folder `reserve` named (on the evidence writer's
    /// thread); false (counted, said once) when it could not be, leaving nothing behind.
    func write(_ files: [(name: String, bytes: [UInt8])], to folder: String, say: (String) -> Void) -> Bool {
        let name = String(folder.dropFirst(path.count + 1))
        let error = EvidenceFiles.write(files, partial: folder + ".partial", folder: folder)
        guard error == 0 else {
            let reason = Log.errorText(error)
            state.withLock { state in
                state.names.remove(name)
                state.counts.failed += 1
                if state.failing != reason {
                    state.failing = reason
                    say("evidence.dir \(path): bundle \(folder) not written (\(reason)); alerts go out without evidence until it can be")
                }
            }
            return false
        }
        let size = files.reduce(EvidenceFiles.folderBytes) { $0 + EvidenceFiles.diskBytes(Int64($1.bytes.count)) }
        let doomed: [String] = state.withLock { state in
            state.failing = nil
            state.counts.written += 1
            state.bundles.append((name, size))
            state.counts.bytes += size
            return trim(&state)
        }
        remove(doomed)
        return true
    }

    /// A reserved folder that will not be written (the writer's queue was full).
    func release(_ folder: String) {
        state.withLock { state in
            state.names.remove(String(folder.dropFirst(path.count + 1)))
            state.counts.failed += 1
            state.counts.queueFull += 1
        }
    }

    /// Names of the oldest folders to remove until the directory is within `maxBytes` (never
    /// the newest: a bundle is at most a few hundred KiB and `max_bytes` at least 1 MiB).
    private func trim(_ state: inout State) -> [String] {
        var doomed: [String] = []
        while state.counts.bytes > maxBytes, state.bundles.count - state.head > 1 {
            let oldest = state.bundles[state.head]
            state.head += 1
            state.counts.bytes -= oldest.bytes
            state.counts.removed += 1
            state.names.remove(oldest.name)
            doomed.append(oldest.name)
        }
        if state.head > 1024, state.head * 2 > state.bundles.count {
            state.bundles.removeFirst(state.head)
            state.head = 0
        }
        return doomed
    }

    private func remove(_ names: [String]) {
        for name in names { try? FileManager.default.removeItem(atPath: path + "/" + name) }
    }

    /// `20261206T072512Z-s17`, `…-s17-2`, and their `.partial` forms.
    static func isBundleName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count >= 19, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z"),
              bytes[16] == UInt8(ascii: "-"), bytes[17] == UInt8(ascii: "s") else { return false }
        return bytes[0 ..< 8].allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && bytes[9 ..< 15].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// Makes the directory if missing, removes leftovers of a crash, and indexes the bundles
    /// already there (oldest first by modification time), trimming to `maxBytes`.
    private func open(_ state: inout State, say: (String) -> Void) {
        state.retryAt = Date().timeIntervalSince1970 + Self.retrySeconds
        let manager = FileManager.default
        func fail(_ reason: String) {
            guard state.failing != reason else { return }
            state.failing = reason
            say("evidence.dir \(path): \(reason); alerts go out without evidence (tried again every \(Int(Self.retrySeconds)) s)")
        }
        do {
            let type = (try? manager.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
            if type == nil {
                try manager.createDirectory(atPath: path, withIntermediateDirectories: false,
                                            attributes: [.posixPermissions: 0o700])
            } else if type != .typeDirectory {
                fail("not a directory")
                return
            }
            var found: [(name: String, bytes: Int64, modified: Date)] = []
            for name in try manager.contentsOfDirectory(atPath: path) {
                let folder = path + "/" + name
                // Only folders named as bundles are; anything else put there is left alone.
                guard Self.isBundleName(name) else { continue }
                if name.hasSuffix(".partial") {
                    try? manager.removeItem(atPath: folder)
                    continue
                }
                guard let attributes = try? manager.attributesOfItem(atPath: folder),
                      attributes[.type] as? FileAttributeType == .typeDirectory else { continue }
                let files = (try? manager.contentsOfDirectory(atPath: folder)) ?? []
                let bytes = files.reduce(EvidenceFiles.folderBytes) { total, file in
                    total + EvidenceFiles.diskBytes((try? manager.attributesOfItem(atPath: folder + "/" + file)[.size] as? Int64) ?? 0)
                }
                found.append((name, bytes, attributes[.modificationDate] as? Date ?? .distantPast))
            }
            found.sort { ($0.modified, $0.name) < ($1.modified, $1.name) }
            state.bundles = found.map { ($0.name, $0.bytes) }
            state.names = Set(found.map(\.name))
            state.counts.bytes = found.reduce(0) { $0 + $1.bytes }
            state.usable = true
            state.failing = nil
            let doomed = trim(&state)
            remove(doomed)
        } catch {
            fail("cannot be used (\((error as NSError).localizedDescription))")
        }
    }
}
