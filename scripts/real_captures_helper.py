#!/usr/bin/env python3
"""Helpers for scripts/make-real-captures.sh.

Sub-commands:
  starttls-server / starttls-client   SMTP-shaped STARTTLS prelude, then TLS 1.2
  connect-server  / connect-client    HTTP CONNECT prelude, then TLS 1.2
  tls-client                          plain TLS client with a fixed source port
                                      and (optionally) a small TCP MSS
  conn                                print one truth record (JSON, one line)
  expected                            assemble truth records into an expected.json
  crosscheck                          compare a capture against its expected.json
                                      using tshark (a cross-check only: the truth
                                      files are never derived from captures)

Everything talks to 127.0.0.1 only, every socket has a timeout, and every
server accepts exactly one connection and then exits.
"""
import argparse
import hashlib
import json
import socket
import ssl
import subprocess
import sys

HOST = "127.0.0.1"
TIMEOUT = 15.0


def tls12_context(server_side, certfile=None, keyfile=None, cafile=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if server_side:
        # load_cert_chain sends the leaf, then the other certificates in file order
        ctx.load_cert_chain(certfile, keyfile)
    else:
        ctx.load_verify_locations(cafile)
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def listen_one(port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((HOST, port))
    ls.listen(1)
    ls.settimeout(TIMEOUT)
    conn, _ = ls.accept()
    ls.close()
    conn.settimeout(TIMEOUT)
    return conn


def connect_from(port, sport, mss=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if mss:
        # advertise a small MSS in our SYN so the server's flight is cut into
        # Ethernet-sized segments, as on a real gateway
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
    s.settimeout(TIMEOUT)
    s.bind((HOST, sport))
    s.connect((HOST, port))
    return s


def read_line(sock_file):
    line = sock_file.readline(4096)
    if not line:
        raise SystemExit("peer closed early")
    return line


def read_until_blank(sock):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(1)  # byte-wise: never consume the peer's first TLS bytes
        if not chunk:
            raise SystemExit("peer closed early")
        buf += chunk
        if len(buf) > 8192:
            raise SystemExit("header too long")
    return buf


def recv_line(sock):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            raise SystemExit("peer closed early")
        buf += chunk
        if len(buf) > 4096:
            raise SystemExit("line too long")
    return buf


# ---------------------------------------------------------------- STARTTLS
def starttls_server(a):
    ctx = tls12_context(True, a.cert, a.key)
    c = listen_one(a.port)
    c.sendall(b"220 mail.bank.example ESMTP ready\r\n")
    line = recv_line(c)
    if not line.upper().startswith(b"EHLO"):
        raise SystemExit("expected EHLO, got %r" % line)
    c.sendall(b"250-mail.bank.example greets you\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n")
    line = recv_line(c)
    if line.strip().upper() != b"STARTTLS":
        raise SystemExit("expected STARTTLS, got %r" % line)
    c.sendall(b"220 Ready to start TLS\r\n")
    t = ctx.wrap_socket(c, server_side=True)
    line = recv_line(t)  # EHLO again, inside TLS
    t.sendall(b"250-mail.bank.example greets you\r\n250 SIZE 10240000\r\n")
    line = recv_line(t)  # QUIT
    t.sendall(b"221 Bye\r\n")
    try:
        t.unwrap()
    except (ssl.SSLError, OSError):
        pass
    c.close()


def starttls_client(a):
    ctx = tls12_context(False, cafile=a.ca)
    s = connect_from(a.port, a.sport)
    recv_line(s)
    s.sendall(b"EHLO client.home.example\r\n")
    while True:
        line = recv_line(s)
        if line[3:4] == b" ":
            break
    s.sendall(b"STARTTLS\r\n")
    line = recv_line(s)
    if not line.startswith(b"220"):
        raise SystemExit("STARTTLS refused: %r" % line)
    t = ctx.wrap_socket(s, server_hostname=a.sni)
    t.sendall(b"EHLO client.home.example\r\n")
    while True:
        line = recv_line(t)
        if line[3:4] == b" ":
            break
    t.sendall(b"QUIT\r\n")
    recv_line(t)
    try:
        t.unwrap()
    except (ssl.SSLError, OSError):
        pass
    s.close()


# ---------------------------------------------------------------- CONNECT
def connect_server(a):
    ctx = tls12_context(True, a.cert, a.key)
    c = listen_one(a.port)
    req = read_until_blank(c)
    if not req.startswith(b"CONNECT "):
        raise SystemExit("expected CONNECT, got %r" % req)
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    t = ctx.wrap_socket(c, server_side=True)
    read_until_blank(t)
    body = b"hello from the tunnel\n"
    t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
    try:
        t.unwrap()
    except (ssl.SSLError, OSError):
        pass
    c.close()


def connect_client(a):
    ctx = tls12_context(False, cafile=a.ca)
    s = connect_from(a.port, a.sport)
    s.sendall(b"CONNECT %s:443 HTTP/1.1\r\n\r\n" % a.sni.encode())
    resp = read_until_blank(s)
    if b" 200 " not in resp.split(b"\r\n", 1)[0]:
        raise SystemExit("CONNECT refused: %r" % resp)
    t = ctx.wrap_socket(s, server_hostname=a.sni)
    t.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % a.sni.encode())
    data = b""
    while True:
        try:
            chunk = t.recv(4096)
        except (ssl.SSLError, OSError):
            break
        if not chunk:
            break
        data += chunk
    s.close()


# ---------------------------------------------------------------- plain TLS client
def tls_client(a):
    ctx = tls12_context(False, cafile=a.ca)
    s = connect_from(a.port, a.sport, a.mss)
    t = ctx.wrap_socket(s, server_hostname=a.sni)
    t.sendall(b"hello\n")
    try:
        t.unwrap()
    except (ssl.SSLError, OSError):
        pass
    s.close()


# ---------------------------------------------------------------- segmented server
def segmented_server(a):
    """TLS 1.2 server (Python ssl over a MemoryBIO) that hands the TLS bytes to
    TCP in chunks of --chunk bytes, one send() each with TCP_NODELAY and a short
    pause, so that even on loopback (where TSO/GSO would otherwise hand tcpdump
    64 KB frames) the capture shows Ethernet-sized segments."""
    import time
    ctx = tls12_context(True, a.cert, a.key)
    c = listen_one(a.port)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_side=True)

    def flush():
        data = out.read()
        for i in range(0, len(data), a.chunk):
            c.sendall(data[i:i + a.chunk])
            time.sleep(a.delay)

    def pump():
        flush()
        d = c.recv(65536)
        if not d:
            raise SystemExit("peer closed during handshake")
        inc.write(d)

    for _ in range(1000):
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            pump()
    flush()
    got = b""
    for _ in range(1000):
        try:
            got += obj.read(4096)
            if b"\n" in got:
                break
        except ssl.SSLWantReadError:
            pump()
        except ssl.SSLZeroReturnError:
            break
    obj.write(b"bye\n")
    flush()
    try:
        obj.unwrap()
    except (ssl.SSLError, OSError):
        pass
    flush()
    c.close()


# ---------------------------------------------------------------- truth files
def conn(a):
    def chain(s):
        if s in (None, "", "null"):
            return None
        return s.split(",")
    rec = {
        "client": "127.0.0.1:%d" % a.client_port,
        "server": "127.0.0.1:%d" % a.server_port,
        "sni": a.sni if a.sni not in ("", "null") else None,
        "version": a.version,
        "server_chain_sha256": chain(a.server_chain),
        "client_chain_sha256": chain(a.client_chain),
        "scenario": a.scenario,
    }
    print(json.dumps(rec))


def expected(a):
    conns = []
    for path in a.records:
        with open(path) as f:
            for line in f:
                if line.strip():
                    conns.append(json.loads(line))
    doc = {
        "capture": a.capture,
        "truth_source": "hashes of the certificate files the servers were configured with "
                        "(openssl x509 -outform DER | sha256sum), not parsed from the capture",
        "connections": conns,
    }
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


# ---------------------------------------------------------------- cross-check
def tshark_rows(pcap, decode, filt, fields):
    cmd = ["tshark", "-n", "-r", pcap]
    for d in decode:
        cmd += ["-d", d]
    cmd += ["-Y", filt, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
            "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def crosscheck(a):
    with open(a.expected) as f:
        doc = json.load(f)
    decode = a.decode or []
    problems = []
    # observed: (src, dst) -> list of chains
    certs = {}
    for src, sport, dst, dport, hexes in tshark_rows(
            a.pcap, decode, "tls.handshake.type==11",
            ["ip.src", "tcp.srcport", "ip.dst", "tcp.dstport", "tls.handshake.certificate"]):
        chain = [hashlib.sha256(bytes.fromhex(h.replace(":", ""))).hexdigest()
                 for h in hexes.split(",") if h]
        certs.setdefault(("%s:%s" % (src, sport), "%s:%s" % (dst, dport)), []).append(chain)
    hello = {}
    for src, sport, dst, dport, sni in tshark_rows(
            a.pcap, decode, "tls.handshake.type==1",
            ["ip.src", "tcp.srcport", "ip.dst", "tcp.dstport", "tls.handshake.extensions_server_name"]):
        hello[("%s:%s" % (src, sport), "%s:%s" % (dst, dport))] = sni or None
    shello = {}
    for src, sport, dst, dport, ver, sv in tshark_rows(
            a.pcap, decode, "tls.handshake.type==2",
            ["ip.src", "tcp.srcport", "ip.dst", "tcp.dstport", "tls.handshake.version",
             "tls.handshake.extensions.supported_version"]):
        v = sv or ver
        names = {"0x0301": "1.0", "0x0302": "1.1", "0x0303": "1.2", "0x0304": "1.3"}
        shello[("%s:%s" % (src, sport), "%s:%s" % (dst, dport))] = names.get(v, v)

    for c in doc["connections"]:
        before = len(problems)
        cs, ss = c["client"], c["server"]
        tag = "%s %s->%s" % (a.pcap.rsplit("/", 1)[-1], cs, ss)
        if (cs, ss) not in hello:
            problems.append("%s: no ClientHello seen" % tag)
        elif hello[(cs, ss)] != c["sni"]:
            problems.append("%s: SNI %r in capture, %r expected" % (tag, hello[(cs, ss)], c["sni"]))
        if shello.get((ss, cs)) != c["version"]:
            problems.append("%s: version %r in capture, %r expected" % (tag, shello.get((ss, cs)), c["version"]))
        for direction, key, want in (((ss, cs), "server", c["server_chain_sha256"]),
                                     ((cs, ss), "client", c["client_chain_sha256"])):
            seen = certs.get(direction)
            if want is None:
                if seen:
                    problems.append("%s: %s chain visible in capture but expected none: %s" % (tag, key, seen))
            else:
                if not seen:
                    problems.append("%s: %s chain expected but not seen in capture" % (tag, key))
                elif seen != [want]:
                    problems.append("%s: %s chain differs\n  capture:  %s\n  expected: %s" % (tag, key, seen, [want]))
        print("crosscheck %s: %s" % (tag, "ok" if len(problems) == before else "MISMATCH (see below)"))
    if problems:
        for p in problems:
            print("MISMATCH " + p, file=sys.stderr)
        sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("starttls-server", "connect-server"):
        q = sub.add_parser(name)
        q.add_argument("--port", type=int, required=True)
        q.add_argument("--cert", required=True, help="PEM: leaf then chain, in send order")
        q.add_argument("--key", required=True)
    q = sub.add_parser("segmented-server")
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--cert", required=True, help="PEM: leaf then chain, in send order")
    q.add_argument("--key", required=True)
    q.add_argument("--chunk", type=int, default=1448)
    q.add_argument("--delay", type=float, default=0.001)
    for name in ("starttls-client", "connect-client", "tls-client"):
        q = sub.add_parser(name)
        q.add_argument("--port", type=int, required=True)
        q.add_argument("--sport", type=int, required=True)
        q.add_argument("--sni", required=True)
        q.add_argument("--ca", required=True)
        q.add_argument("--mss", type=int, default=None)
    q = sub.add_parser("conn")
    q.add_argument("--client-port", type=int, required=True)
    q.add_argument("--server-port", type=int, required=True)
    q.add_argument("--sni", default=None)
    q.add_argument("--version", required=True, choices=["1.0", "1.1", "1.2", "1.3"])
    q.add_argument("--server-chain", default=None)
    q.add_argument("--client-chain", default=None)
    q.add_argument("--scenario", required=True)
    q = sub.add_parser("expected")
    q.add_argument("--capture", required=True)
    q.add_argument("--out", required=True)
    q.add_argument("records", nargs="+")
    q = sub.add_parser("crosscheck")
    q.add_argument("pcap")
    q.add_argument("expected")
    q.add_argument("--decode", action="append", help="tshark -d argument, e.g. tcp.port==20101,tls")
    a = p.parse_args()
    {
        "starttls-server": starttls_server, "starttls-client": starttls_client,
        "connect-server": connect_server, "connect-client": connect_client,
        "tls-client": tls_client, "segmented-server": segmented_server, "conn": conn, "expected": expected,
        "crosscheck": crosscheck,
    }[a.cmd](a)


if __name__ == "__main__":
    main()
