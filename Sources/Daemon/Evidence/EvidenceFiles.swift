#if canImport(Glibc)
import Glibc
#endif

/// A bundle's folder written with plain system calls: `mkdir`, one `open`/`write`/`close` a file,
/// `rename` into place. (Foundation's `Data.write` syncs every file to disk, four syncs a bundle:
/// ~1 ms, most of a bundle's cost.) A bundle is evidence of an alert already sent, not a record
/// the alert depends on: the rename makes it visible whole, and the file system's own commit
/// interval makes it durable.
enum EvidenceFiles {
    /// Writes `files` into a new folder `partial`, then renames it to `folder`: 0, or the errno
    /// of the step that failed (nothing is left behind then).
    static func write(_ files: [(name: String, bytes: [UInt8])], partial: String, folder: String) -> Int32 {
        guard unsafe mkdir(partial, 0o700) == 0 else { return errno }
        for file in files {
            let error = create(partial + "/" + file.name, file.bytes)
            if error != 0 {
                remove(partial, files: files.map(\.name))
                return error
            }
        }
        guard unsafe rename(partial, folder) == 0 else {
            let error = errno
            remove(partial, files: files.map(\.name))
            return error
        }
        return 0
    }

    /// A new file holding `bytes` (mode 0600): 0 or the errno (a short write: ENOSPC).
    private static func create(_ path: String, _ bytes: [UInt8]) -> Int32 {
        let descriptor = unsafe open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return errno }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            // unsafe: writes from the array's own buffer, at most the bytes it holds past `offset`.
            let written = unsafe bytes.withUnsafeBytes { unsafe Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if written == 0 { return ENOSPC }
            offset += written
        }
        return 0
    }

    private static func remove(_ folder: String, files: [String]) {
        for name in files { _ = unsafe unlink(folder + "/" + name) }
        _ = unsafe rmdir(folder)
    }

    /// What a file of `count` bytes takes on disk, in 4 KiB blocks (the cap counts this, not
    /// the bytes: a bundle's four small files take four blocks and its folder one).
    static func diskBytes(_ count: Int64) -> Int64 { (count + 4095) / 4096 * 4096 }
    static let folderBytes: Int64 = 4096
}
