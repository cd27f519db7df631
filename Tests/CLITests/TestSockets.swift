@testable import Daemon
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A bound AF_UNIX datagram socket that receives what the code under test sends
/// (`/path` or `@abstract`), with a 5-second receive timeout.
final class DatagramReceiver {
    let name: String
    private(set) var descriptor: Int32

    init(name: String) throws {
        guard let address = UnixSocketAddress(name) else { throw TestFailure("bad socket name \(name)") }
        self.name = name
        descriptor = UnixDatagram.openSocket()
        guard descriptor >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var storage = address.storage
        // unsafe: bind reads `address.length` bytes of the local sockaddr_un.
        let bound = unsafe withUnsafePointer(to: &storage) { pointer in
            unsafe pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { unsafe bind(descriptor, $0, address.length) }
        }
        guard bound == 0 else { throw TestFailure("bind \(name): errno \(errno)") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        // unsafe: setsockopt reads one local timeval.
        _ = unsafe setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// A temporary filesystem path for a socket.
    static func temporaryPath() -> String {
        NSTemporaryDirectory() + "mitmwatch-test-\(UUID().uuidString.prefix(8)).sock"
    }

    /// The next datagram's bytes (nil on timeout).
    func receiveBytes(capacity: Int = 1 << 20) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: capacity)
        // unsafe: recv writes at most `capacity` bytes into the buffer.
        let count = unsafe buffer.withUnsafeMutableBytes { unsafe recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return nil }
        return Array(buffer.prefix(count))
    }

    func receive() -> String? { receiveBytes().map { String(decoding: $0, as: UTF8.self) } }

    /// Closes the socket, leaving the socket file in place (as a stopped server does).
    func closeLeavingFile() {
        close(descriptor)
        descriptor = -1
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if name.hasPrefix("/") { try? FileManager.default.removeItem(atPath: name) }
    }
}
