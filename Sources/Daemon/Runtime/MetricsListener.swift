import Dispatch
import Foundation
import OpenSSLBridge
import Sniffer
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `metrics.listen`: the metrics in Prometheus's text format over HTTP, `GET /metrics` only, for
/// Prometheus to scrape. Its own thread serves one connection at a time: a request is at most
/// `maxRequestBytes` and `ioSeconds` to arrive, the answer `ioSeconds` to leave, then the
/// connection is closed — so a slow or hostile client holds the listener for seconds at most and
/// others wait in the kernel's backlog (`backlog`), never in memory of ours. The main thread
/// publishes the exposition; serving never touches capture.
final class MetricsListener: Sendable {
    static let maxRequestBytes = 8 * 1024
    static let ioSeconds = 2
    static let backlog: Int32 = 16

    let endpoint: Endpoint
    private let socket: Int32
    private let exposition = Mutex<[UInt8]>(Array("# no metrics yet\n".utf8))
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    /// Requests served, by answer (for the metric `mitmwatch_metrics_requests_total`).
    private let answers = Mutex<[Int: Int]>([:])

    struct StartError: Error, CustomStringConvertible { var description: String }

    /// Binds and listens on `endpoint` (a numeric address and port).
    init(_ endpoint: Endpoint) throws(StartError) {
        self.endpoint = endpoint
        let family = endpoint.address.isIPv4 ? AF_INET : AF_INET6
        let socket = Glibc.socket(family, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw StartError(description: "metrics.listen \(endpoint.description): socket: \(Log.errorText(errno))") }
        var one: Int32 = 1
        // unsafe: setsockopt reads sizeof(Int32) from the local.
        _ = unsafe setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let address = SocketAddress(endpoint.address.description, port: endpoint.port)
        guard let address, address.bind(socket) == 0, listen(socket, Self.backlog) == 0 else {
            let reason = Log.errorText(errno)
            close(socket)
            throw StartError(description: "metrics.listen \(endpoint.description): cannot listen: \(reason)")
        }
        self.socket = socket
    }

    /// The text served from now on.
    func publish(_ text: String) { exposition.withLock { $0 = Array(text.utf8) } }

    func start() {
        let thread = Thread { [self] in
            Thread.current.name = "mitmwatch-metrics"
            while !stopping.load(ordering: .relaxed) {
                var entry = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
                // unsafe: poll reads and writes the one local entry.
                guard unsafe poll(&entry, 1, 250) > 0 else { continue }
                let connection = accept(socket, nil, nil)  // no peer address asked for
                guard connection >= 0 else { continue }
                _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
                serve(connection)
                close(connection)
            }
            close(socket)
            finished.signal()
        }
        thread.start()
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        _ = finished.wait(timeout: .now() + .seconds(Self.ioSeconds * 2 + 1))
    }

    var answered: [Int: Int] { answers.withLock { $0 } }

    private func serve(_ connection: Int32) {
        var timeout = timeval(tv_sec: Self.ioSeconds, tv_usec: 0)
        // unsafe: setsockopt reads sizeof(timeval) from the local.
        _ = unsafe setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = unsafe setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Self.readHead(connection)
        let (status, body) = answer(request)
        answers.withLock { $0[status, default: 0] += 1 }
        let reason = [200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 431: "Request Header Fields Too Large"][status] ?? "Error"
        var head = "HTTP/1.1 \(status) \(reason)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        head += status == 200 ? "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n" : "Content-Type: text/plain\r\n"
        if status == 405 { head += "Allow: GET\r\n" }
        Self.writeAll(connection, Array((head + "\r\n").utf8) + body)
    }

    /// The status and body for a request head (nil: it did not arrive whole in time or size).
    private func answer(_ head: [UInt8]?) -> (Int, [UInt8]) {
        guard let head else { return (431, Array("request too large or too slow\n".utf8)) }
        let line = head.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].starts(with: Array("HTTP/1.".utf8)) else { return (400, Array("bad request\n".utf8)) }
        let path = parts[1].prefix { $0 != UInt8(ascii: "?") }
        guard Array(path) == Array("/metrics".utf8) else { return (404, Array("only /metrics is served\n".utf8)) }
        guard Array(parts[0]) == Array("GET".utf8) else { return (405, Array("only GET\n".utf8)) }
        return (200, exposition.withLock { $0 })
    }

    /// Reads until the end of the request head (an empty line); nil past the size limit, at
    /// end of file or when the read times out first.
    private static func readHead(_ connection: Int32) -> [UInt8]? {
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        while true {
            // unsafe: recv writes at most chunk.count bytes into the local array.
            let count = unsafe chunk.withUnsafeMutableBytes { unsafe recv(connection, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            let searchFrom = max(0, head.count - 3)
            head += chunk[0..<count]
            guard head.count <= maxRequestBytes else { return nil }
            if endsHead(head, from: searchFrom) { return head }
        }
    }

    private static func writeAll(_ connection: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            // unsafe: send reads the array's bytes from `offset` to its end; MSG_NOSIGNAL: no SIGPIPE.
            let sent = unsafe bytes.withUnsafeBytes {
                unsafe send(connection, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { return }
            offset += sent
        }
    }
}

/// Whether "\r\n\r\n" (the end of a request head) occurs in `bytes` at or after `start`.
private func endsHead(_ bytes: [UInt8], from start: Int) -> Bool {
    guard bytes.count >= 4, start <= bytes.count - 4 else { return false }
    for index in start...(bytes.count - 4)
    where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
        return true
    }
    return false
}
