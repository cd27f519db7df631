import Foundation

/// A python3 server on loopback that answers a TLS ClientHello with something a probe must survive,
/// on a kernel-chosen port; stopped by its PID.
/// - `certificates DER COUNT`: a valid TLS 1.2 ServerHello (ECDHE-ECDSA-AES128-GCM, or
///   ECDHE-RSA-AES128-GCM when not offered, with renegotiation_info) and a Certificate message
///   listing the certificate `DER` COUNT times, then ServerHelloDone; then it holds the connection.
/// - `hello-requests`: an endless-looking stream of TLS 1.2 handshake records full of HelloRequest
///   messages (OpenSSL's client skips those before the ServerHello, so only the probe's byte limit
///   ends it), 64 MiB at most; prints `SENT n` with the bytes it managed to send.
/// - `ssh`: an SSH server's banner on accept and a binary packet after the ClientHello.
public final class HostileTLSServer {
    private let process: ListeningProcess
    public var port: UInt16 { process.port }

    public init(_ mode: String, host: String = "127.0.0.1", arguments: [String] = []) throws {
        process = try ListeningProcess("/usr/bin/python3", ["-c", Self.script, mode, host] + arguments, readyPrefix: "PORT ")
    }

    /// What the server printed so far.
    public var text: String { process.text }

    /// The bytes the `hello-requests` server sent to its last connection, once it stopped sending.
    public func bytesSent(waiting seconds: Double) -> Int? {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if let line = text.split(separator: "\n").last(where: { $0.hasPrefix("SENT ") }) { return Int(line.dropFirst(5)) }
            usleep(20_000)
        } while Date() < deadline
        return nil
    }

    /// Stops it by its PID with SIGKILL.
    public func stop() { process.stopNow() }

    static let script = #"""
        import socket, struct, sys
        mode, host = sys.argv[1], sys.argv[2]
        server = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        server.bind((host, 0))
        server.listen(8)
        print("PORT", server.getsockname()[1], flush=True)

        def client_hello_ciphers(connection):
            data = b""
            while len(data) < 5 or len(data) < 5 + struct.unpack(">H", data[3:5])[0]:
                chunk = connection.recv(65536)
                if not chunk:
                    return []
                data += chunk
            body = data[5 + 4:]
            offset = 2 + 32
            offset += 1 + body[offset]
            length = struct.unpack(">H", body[offset:offset + 2])[0]
            return [struct.unpack(">H", body[offset + 2 + i:offset + 4 + i])[0] for i in range(0, length, 2)]

        def records(payload):
            return b"".join(bytes([0x16, 3, 3]) + struct.pack(">H", len(payload[i:i + 16384])) + payload[i:i + 16384]
                            for i in range(0, len(payload), 16384))

        def message(kind, body):
            return bytes([kind]) + struct.pack(">I", len(body))[1:] + body

        held = []
        while True:
            connection, _ = server.accept()
            held.append(connection)
            try:
                if mode == "ssh":
                    connection.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
                    connection.recv(65536)
                    connection.sendall(bytes([0, 0, 1, 0x14, 6, 20]) + bytes(range(16)) + bytes(256))
                    continue
                offered = client_hello_ciphers(connection)
                if mode == "certificates":
                    der, count = open(sys.argv[3], "rb").read(), int(sys.argv[4])
                    cipher = 0xC02B if 0xC02B in offered else 0xC02F
                    extensions = bytes([0xFF, 0x01, 0, 1, 0])
                    hello = struct.pack(">H", 0x0303) + bytes(range(32)) + bytes([0]) + struct.pack(">H", cipher) \
                        + bytes([0]) + struct.pack(">H", len(extensions)) + extensions
                    entry = struct.pack(">I", len(der))[1:] + der
                    certificates = struct.pack(">I", len(entry) * count)[1:] + entry * count
                    connection.sendall(records(message(2, hello) + message(11, certificates) + message(14, b"")))
                elif mode == "hello-requests":
                    chunk = records(bytes(4) * 4096)
                    sent = 0
                    try:
                        while sent < 64 << 20:
                            connection.sendall(chunk)
                            sent += len(chunk)
                    finally:
                        print("SENT", sent, flush=True)
            except OSError:
                pass
        """#
}
