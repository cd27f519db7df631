#!/usr/bin/env python3
"""Writes adversarial pcap captures for mitmwatch, one per scenario, into OUTDIR.

mitmwatch parses bytes chosen by the adversary it watches for. Each capture below is hostile in
one way; in every one, ordinary *interception sessions* are mixed in: normal TLS 1.2 handshakes
whose server chain is the real Kazakhstan 2019 root "Qaznet Trust Network"
(/work/shared/indicators/certs/00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2.pem,
DER SHA-256 00309c73..., a built-in `known-interception-ca` indicator), each on its own
connection, placed

  before  -- complete before the first adversarial packet,
  spanning -- its packets spread evenly from before the first adversarial packet to after the last,
  among   -- its packets spread over a short stretch in the middle of the adversarial traffic,
  after   -- complete after the last adversarial packet.

A run must report a `known-interception-ca` alert for each of them (their server names and
ports are in OUTDIR/manifest.json, with what else each capture holds).

Scenarios (file OUTDIR/NAME.pcap):
  overlap-inconsistent  retransmitted / overlapping segments with different bytes: over the
                        Certificate of an interception session (the first copy is the real chain),
                        and over a "decoy" session whose first copy is a harmless look-alike and
                        whose later copies carry the interception root
  one-byte-segments     whole handshakes (Certificate included) in 1-byte segments, some reordered
  huge-lengths          record, handshake, certificate-list, certificate and DER lengths promising
                        up to 2^24-1 bytes or gigabytes; IP/pcap lengths claiming more than is there
  deep-der              certificates nested thousands of DER levels deep, and a chain of them
  ten-thousand-certs    one Certificate message with 10,000 small certificates (the interception
                        root within the first 64 in one of them, at position 9,999 in another)
  zero-length           zero-length records, messages, certificate lists, certificates, SNI, ALPN,
                        TCP payloads, IP options
  random-tls-ports      random bytes both ways on 443, 8443, 993, ..., with and without SYN
  synflood              1,000,000 SYNs from random tuples (54-byte frames)
  half-open             200,000 connections that send a SYN and part of a ClientHello, then nothing

Python 3 standard library only; fixed seed, so every run writes the same bytes.
Usage: make-adversarial-captures.py OUTDIR [--only NAME ...] [--certs DIR]
"""
import argparse
import base64
import json
import os
import random
import struct
import sys
import time

from pcapwriter import CLIENT_MAC, SERVER_MAC, Writer, ip_checksum

SEED = 0x6164_7673  # "advs"
MSS = 1448
SYN, ACK, PSH, FIN, RST = 0x02, 0x10, 0x08, 0x01, 0x04
QAZNET_SHA256 = "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2"


# ---------------------------------------------------------------------------------------------
# pcap writing


class Connection:
    """One TCP connection between a client and a server, with sequence numbers kept right.

    `send` cuts a payload into segments and returns them as (seq, bytes) so callers can also
    replay or alter them; `segment` emits one arbitrary segment at a stream offset."""

    def __init__(self, w, rng, client_ip, client_port, server_ip, server_port):
        self.w = w
        self.ends = {"c": (client_ip, client_port), "s": (server_ip, server_port)}
        self.isn = {"c": rng.getrandbits(32), "s": rng.getrandbits(32)}
        self.sent = {"c": 0, "s": 0}  # payload bytes sent so far (stream offset of the next byte)

    @property
    def server(self):
        ip, port = self.ends["s"]
        return f"{'.'.join(map(str, ip))}:{port}"

    @property
    def client(self):
        ip, port = self.ends["c"]
        return f"{'.'.join(map(str, ip))}:{port}"

    def _macs(self, side):
        return (CLIENT_MAC, SERVER_MAC) if side == "c" else (SERVER_MAC, CLIENT_MAC)

    def segment(self, side, offset, payload, flags=ACK | PSH, **kw):
        """Emits `payload` at stream offset `offset` of `side` (bytes after its SYN)."""
        other = "s" if side == "c" else "c"
        src, dst = self.ends[side], self.ends[other]
        self.w.tcp(src[0], dst[0], src[1], dst[1], self.isn[side] + 1 + offset,
                   self.isn[other] + 1 + self.sent[other], flags, payload, macs=self._macs(side), **kw)

    def syn(self, side="c"):
        other = "s" if side == "c" else "c"
        src, dst = self.ends[side], self.ends[other]
        flags = SYN if side == "c" else SYN | ACK
        self.w.tcp(src[0], dst[0], src[1], dst[1], self.isn[side], self.isn[other] + 1 if side == "s" else 0,
                   flags, macs=self._macs(side))

    def ack(self, side):
        self.segment(side, self.sent[side], b"", ACK)

    def pieces(self, side, payload, size=MSS):
        """Cuts `payload` (to be sent next by `side`) into (offset, bytes) pieces; advances the stream."""
        start = self.sent[side]
        out = [(start + i, payload[i:i + size]) for i in range(0, len(payload), size)]
        self.sent[side] += len(payload)
        return out

    def send(self, side, payload, size=MSS):
        for offset, piece in self.pieces(side, payload, size):
            self.segment(side, offset, piece)

    def fin(self):
        self.segment("c", self.sent["c"], b"", FIN | ACK)
        self.segment("s", self.sent["s"], b"", FIN | ACK)
        self.sent["c"] += 1
        self.sent["s"] += 1
        self.ack("c")


# ---------------------------------------------------------------------------------------------
# TLS bytes


def u16(n):
    return struct.pack("!H", n)


def u24(n):
    return n.to_bytes(3, "big")


def record(content_type, body, version=0x0303, length=None):
    return struct.pack("!BHH", content_type, version, len(body) if length is None else length) + body


def records(content_type, body, fragment=16384):
    return b"".join(record(content_type, body[i:i + fragment]) for i in range(0, len(body), fragment)) or record(
        content_type, b"")


def handshake(msg_type, body, length=None):
    return bytes([msg_type]) + u24(len(body) if length is None else length) + body


def ext(ext_type, body):
    return u16(ext_type) + u16(len(body)) + body


def client_hello_body(rng, server_name, alpn=(b"h2", b"http/1.1"), suites=None):
    extensions = b""
    if server_name is not None:
        name = server_name.encode() if isinstance(server_name, str) else server_name
        extensions += ext(0, u16(len(name) + 3) + b"\x00" + u16(len(name)) + name)
    extensions += ext(10, u16(4) + u16(0x001D) + u16(0x0017)) + ext(11, b"\x01\x00")
    extensions += ext(13, u16(4) + u16(0x0403) + u16(0x0401))
    if alpn is not None:
        names = b"".join(bytes([len(a)]) + a for a in alpn)
        extensions += ext(16, u16(len(names)) + names)
    extensions += ext(0xFF01, b"\x00")
    suites = suites if suites is not None else [0xC02F, 0xC030, 0x009C, 0x002F]
    return (b"\x03\x03" + rng.randbytes(32) + b"\x20" + rng.randbytes(32) + u16(2 * len(suites))
            + b"".join(u16(s) for s in suites) + b"\x01\x00" + u16(len(extensions)) + extensions)


def client_hello(rng, server_name, **kw):
    return record(22, handshake(1, client_hello_body(rng, server_name, **kw)), version=0x0301)


def server_hello(rng):
    extensions = ext(0xFF01, b"\x00") + ext(11, b"\x01\x00")
    return handshake(2, b"\x03\x03" + rng.randbytes(32) + b"\x20" + rng.randbytes(32) + u16(0xC02F) + b"\x00"
                     + u16(len(extensions)) + extensions)


def certificate_message(chain):
    certs = b"".join(u24(len(der)) + der for der in chain)
    return handshake(11, u24(len(certs)) + certs)


SERVER_HELLO_DONE = handshake(14, b"")


def server_flight(rng, chain):
    return records(22, server_hello(rng) + certificate_message(chain) + SERVER_HELLO_DONE)


def finish_steps(conn, rng, app_records=1):
    """ClientKeyExchange/CCS/Finished both ways, application data, FIN: one step per flight."""
    steps = [
        lambda: conn.send("c", record(22, handshake(16, b"\x41\x04" + rng.randbytes(64))) + record(20, b"\x01")
                          + record(22, rng.randbytes(40))),
        lambda: conn.send("s", record(20, b"\x01") + record(22, rng.randbytes(40))),
    ]
    for _ in range(app_records):
        steps.append(lambda: conn.send("c", record(23, rng.randbytes(300))))
        steps.append(lambda: conn.send("s", record(23, rng.randbytes(1200))))
    steps.append(conn.fin)
    return steps


def tls_session_steps(conn, rng, chain, server_name, flight=None):
    """A whole TLS 1.2 connection as a list of steps (each emits one or a few frames)."""
    flight = flight if flight is not None else server_flight(rng, chain)
    steps = [lambda: conn.syn("c"), lambda: conn.syn("s"), lambda: conn.ack("c"),
             lambda: conn.send("c", client_hello(rng, server_name)), lambda: conn.ack("s")]
    for offset, piece in conn_pieces_later(conn, "s", flight):
        steps.append(piece)
    steps.append(lambda: conn.ack("c"))
    return steps + finish_steps(conn, rng)


def conn_pieces_later(conn, side, payload):
    """Steps sending `payload` in MSS segments, the stream offsets fixed when the step runs."""
    state = {}

    def make(index, count):
        def step():
            if "pieces" not in state:
                state["pieces"] = conn.pieces(side, payload)
            offset, piece = state["pieces"][index]
            conn.segment(side, offset, piece)
        return step

    count = -(-len(payload) // MSS)
    return [(i, make(i, count)) for i in range(count)]


# ---------------------------------------------------------------------------------------------
# DER helpers


def der_length(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag, body):
    return bytes([tag]) + der_length(len(body)) + body


def nested(depth, core=b"\x05\x00", tag=0x30):
    """`depth` SEQUENCEs, each holding the next, around `core` (headers computed inside out)."""
    headers, length = [], len(core)
    for _ in range(depth):
        header = bytes([tag]) + der_length(length)
        headers.append(header)
        length += len(header)
    return b"".join(reversed(headers)) + core


def name_der(common_name):
    return tlv(0x30, tlv(0x31, tlv(0x30, tlv(0x06, b"\x55\x04\x03") + tlv(0x0C, common_name.encode()))))


def synthetic_certificate(rng, common_name, issuer="Benign Example CA"):
    """A certificate-shaped DER (v3, sha256WithRSA, RSA 2048 key of random bits, SAN): parses as
    X.509, signed by nobody."""
    alg = tlv(0x30, tlv(0x06, bytes.fromhex("2a864886f70d01010b")) + b"\x05\x00")
    rsa = tlv(0x30, tlv(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    modulus = b"\x00\xc1" + rng.randbytes(255)
    key = tlv(0x30, rsa + tlv(0x03, b"\x00" + tlv(0x30, tlv(0x02, modulus) + tlv(0x02, b"\x01\x00\x01"))))
    validity = tlv(0x30, tlv(0x17, b"240101000000Z") + tlv(0x17, b"340101000000Z"))
    san = tlv(0x30, tlv(0x06, b"\x55\x1d\x11") + tlv(0x04, tlv(0x30, tlv(0x82, common_name.encode()))))
    tbs = tlv(0x30, tlv(0xA0, tlv(0x02, b"\x02")) + tlv(0x02, b"\x01" + rng.randbytes(15)) + alg
              + name_der(issuer) + validity + name_der(common_name) + key + tlv(0xA3, tlv(0x30, san)))
    return tlv(0x30, tbs + alg + tlv(0x03, b"\x00" + rng.randbytes(256)))


def load_pem_der(path):
    text = open(path).read()
    body = text.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return base64.b64decode("".join(body.split()))


# ---------------------------------------------------------------------------------------------
# Scenarios. Each is a generator: it writes adversarial frames and yields after each unit of
# work, so the driver can slip the interception sessions' packets in between. `units` says how
# many times it will yield.


class Scenario:
    def __init__(self, name, units, make, window=2000, description=""):
        self.name, self.units, self.make, self.window, self.description = name, units, make, window, description


def interception_chain(ctx):
    return [ctx["qaznet"]]


def decoy_of(der):
    """Same length and shape as the Qaznet root, but not it: other names, another key, another
    signature. Matches no indicator by digest, key or issuer name."""
    out = bytearray(der)
    for old, new in ((b"Qaznet Trust Network", b"Harmless Trust Netwk"),):
        index = out.find(old)
        while index >= 0:
            out[index:index + len(old)] = new
            index = out.find(old, index + 1)
    # Flip bytes inside the RSA modulus (well inside the SubjectPublicKeyInfo) and the signature.
    spki = out.find(bytes.fromhex("2a864886f70d0101010500"))  # rsaEncryption OID + NULL
    for i in range(spki + 40, spki + 72):
        out[i] ^= 0x5A
    for i in range(len(out) - 40, len(out) - 8):
        out[i] ^= 0xA5
    return bytes(out)


def scenario_overlap(ctx):
    """Inconsistent retransmissions and overlaps. Sessions (server 198.18.1.x):
       - 'overlap-real-first': interception chain; every inconsistent copy comes after the real one
         or loses to it (a whole-segment retransmission of delivered bytes with other bytes, two
         different copies of a held segment, a held copy overwritten by an in-order segment).
       - 'overlap-decoy-first': the first copy delivered is a look-alike decoy chain; the real
         interception root comes later, in retransmissions (first copy wins: no alert, but the
         session record shows the inconsistent bytes).
       - 'overlap-other-<n>': ordinary handshakes with inconsistent overlaps in the ServerHello.
       - plus many consistent duplicates and partial overlaps."""
    w, rng = ctx["w"], ctx["rng"]
    qaznet = ctx["qaznet"]
    decoy = decoy_of(qaznet)
    ctx["extra"]["decoy_sha256"] = __import__("hashlib").sha256(decoy).hexdigest()

    def flip(data, start, end):
        return data[:start] + bytes(b ^ 0xFF for b in data[start:end]) + data[end:]

    # 1. real first
    conn = Connection(w, rng, bytes((10, 9, 0, 1)), 41001, bytes((198, 18, 1, 1)), 443)
    ctx["extra"]["overlap_real_first"] = {"sni": "overlap-real-first.intercepted.example", "server": conn.server}
    conn.syn("c"); conn.syn("s"); conn.ack("c")
    yield
    conn.send("c", client_hello(rng, "overlap-real-first.intercepted.example"))
    conn.ack("s")
    yield
    flight = server_flight(rng, [qaznet])
    p = conn.pieces("s", flight, size=400)  # 4-5 pieces, the certificate spans pieces 0..3
    (o0, b0), (o1, b1), (o2, b2) = p[0], p[1], p[2]
    conn.segment("s", o0, b0)                                   # delivered
    yield
    conn.segment("s", o0, flip(b0, 100, 400))                   # whole retransmission, other bytes
    yield
    conn.segment("s", o2, flip(b2, 0, 200))                     # held (ahead of piece 1), altered
    yield
    conn.segment("s", o2, flip(b2, 50, 300))                    # another copy of the held piece
    yield
    conn.segment("s", o1, b1 + b2)                              # in order, real bytes over the held range
    yield
    for offset, piece in p[3:]:
        conn.segment("s", offset, piece)
        conn.segment("s", offset, flip(piece, 0, len(piece)))   # retransmission, other bytes
        yield
    conn.ack("c")
    for step in finish_steps(conn, rng):
        step()
        yield

    # 2. decoy first: the monitor keeps the first copy (the decoy); the record shows the overlap.
    conn = Connection(w, rng, bytes((10, 9, 0, 2)), 41002, bytes((198, 18, 1, 2)), 443)
    ctx["extra"]["overlap_decoy_first"] = {"sni": "overlap-decoy-first.intercepted.example", "server": conn.server}
    conn.syn("c"); conn.syn("s"); conn.ack("c")
    conn.send("c", client_hello(rng, "overlap-decoy-first.intercepted.example"))
    yield
    hello = server_hello(rng)
    real_flight = records(22, hello + certificate_message([qaznet]) + SERVER_HELLO_DONE)
    decoy_flight = records(22, hello + certificate_message([decoy]) + SERVER_HELLO_DONE)
    pieces = conn.pieces("s", real_flight, size=600)
    for offset, piece in pieces:
        start = offset - pieces[0][0]
        conn.segment("s", offset, decoy_flight[start:start + len(piece)])
        yield
        conn.segment("s", offset, piece)  # the "real" copy, second
        yield
    conn.ack("c")
    for step in finish_steps(conn, rng):
        step()
        yield

    # 3. ordinary sessions with inconsistent and consistent overlaps all over the server flight.
    for n in range(200):
        conn = Connection(w, rng, bytes((10, 9, 1 + n // 250, 1 + n % 250)), 42000 + n,
                          bytes((198, 18, 2, 1 + n % 200)), 443)
        conn.syn("c"); conn.syn("s"); conn.ack("c")
        conn.send("c", client_hello(rng, f"overlap-other-{n}.example"))
        flight = server_flight(rng, [ctx["benign"][n % len(ctx["benign"])]])
        pieces = conn.pieces("s", flight, size=rng.choice([100, 300, 700]))
        order = list(range(len(pieces)))
        # a few swaps so some pieces are held when their twins arrive
        for _ in range(len(order) // 3):
            i = rng.randrange(len(order) - 1)
            order[i], order[i + 1] = order[i + 1], order[i]
        for i in order:
            offset, piece = pieces[i]
            conn.segment("s", offset, piece)
            r = rng.random()
            if r < 0.3:       # exact duplicate
                conn.segment("s", offset, piece)
            elif r < 0.5:     # inconsistent copy
                conn.segment("s", offset, flip(piece, 0, len(piece) // 2))
            elif r < 0.7 and len(piece) > 20:  # partial overlap reaching into the next piece
                nxt = pieces[i + 1][1] if i + 1 < len(pieces) else b""
                conn.segment("s", offset + 10, piece[10:] + nxt[:10])
        conn.ack("c")
        conn.fin()
        yield


def scenario_one_byte(ctx):
    """Interception handshakes in 1-byte segments both ways; some windows reordered."""
    w, rng = ctx["w"], ctx["rng"]
    ctx["extra"]["one_byte_sessions"] = []
    for n in range(8):
        conn = Connection(w, rng, bytes((10, 8, 0, 1 + n)), 43000 + n, bytes((198, 18, 3, 1 + n)), 443)
        sni = f"one-byte-{n}.intercepted.example"
        ctx["extra"]["one_byte_sessions"].append({"sni": sni, "server": conn.server})
        conn.syn("c"); conn.syn("s"); conn.ack("c")
        yield
        chain = [ctx["qaznet"]] + ([ctx["big"]] if n % 2 else [])
        for side, payload in (("c", client_hello(rng, sni)), ("s", server_flight(rng, chain))):
            pieces = conn.pieces(side, payload, size=1)
            # reorder: reverse some windows of 2..64 bytes (held segments well under the limit)
            i = 0
            while i < len(pieces):
                span = rng.randrange(2, 65)
                if rng.random() < 0.3:
                    pieces[i:i + span] = pieces[i:i + span][::-1]
                i += span
            for count, (offset, piece) in enumerate(pieces):
                conn.segment(side, offset, piece)
                if count % 256 == 255:
                    yield
            yield
        conn.ack("c")
        for step in finish_steps(conn, rng):
            step()
        yield
    # a whole flight fully reversed, 1 byte per segment: far more than the held-segment limit
    conn = Connection(w, rng, bytes((10, 8, 1, 1)), 43100, bytes((198, 18, 3, 100)), 443)
    conn.syn("c"); conn.syn("s"); conn.ack("c")
    conn.send("c", client_hello(rng, "reversed.example"))
    for count, (offset, piece) in enumerate(reversed(conn.pieces("s", server_flight(rng, [ctx["benign"][0]]), 1))):
        conn.segment("s", offset, piece)
        if count % 256 == 255:
            yield
    conn.fin()
    yield


def scenario_huge_lengths(ctx):
    """Length fields that promise far more than is sent (or than is allowed)."""
    w, rng = ctx["w"], ctx["rng"]
    qaznet, benign = ctx["qaznet"], ctx["benign"][0]
    cases = []

    def hs(body):  # a server flight in records of at most 16 KiB
        return records(22, server_hello(rng) + body)

    # TLS record length fields: 2^14+2048 (the most allowed), 0xFFFF (invalid), on both sides
    cases.append(("c", record(22, handshake(1, client_hello_body(rng, "rec.example")), length=0xFFFF)))
    cases.append(("s", record(22, server_hello(rng), length=0xFFFF) + rng.randbytes(3000)))
    cases.append(("s", record(22, server_hello(rng), length=16384 + 2048) + rng.randbytes(2000)))
    # handshake message lengths of 2^24-1 (16 MiB): the rest never comes
    cases.append(("c", record(22, handshake(1, client_hello_body(rng, "hs.example"), length=0xFFFFFF))))
    cases.append(("s", hs(handshake(11, u24(0xFFFFFF) + u24(len(qaznet)) + qaznet, length=0xFFFFFF))))
    # certificate_list length 2^24-1 inside a message of the right length, and vice versa
    body = u24(len(qaznet)) + qaznet
    cases.append(("s", hs(handshake(11, u24(0xFFFFFF) + body))))
    cases.append(("s", hs(handshake(11, u24(len(body)) + body + rng.randbytes(100)))))
    # a certificate entry claiming 2^24-1 bytes
    cases.append(("s", hs(handshake(11, u24(len(body) + 3 + 200) + body + u24(0xFFFFFF) + rng.randbytes(200)))))
    # DER lengths of gigabytes and more: 4-byte, 8-byte and 127-byte length forms
    for der in (b"\x30\x84\xff\xff\xff\xff" + rng.randbytes(64),
                b"\x30\x88\xff\xff\xff\xff\xff\xff\xff\xff" + rng.randbytes(64),
                b"\x30\x88\x7f\xff\xff\xff\xff\xff\xff\xff" + rng.randbytes(64),
                b"\x30\xff" + b"\xff" * 127 + rng.randbytes(64),
                b"\x30\x82\x05\x00\x30\x84\xff\xff\xff\xf0" + rng.randbytes(64)):
        cases.append(("s", hs(certificate_message([der, qaznet]))))
    # a Certificate message of 2^24-1 declared bytes that really sends 1.2 MiB: the interception
    # root first, then one certificate claiming the rest. Kept up to --max-flow-bytes: truncated,
    # but the root is seen.
    big = u24(len(qaznet)) + qaznet + u24(0xFFFFFF - len(qaznet) - 6) + rng.randbytes(1_200_000)
    cases.append(("s", hs(handshake(11, u24(0xFFFFFF - 3) + big, length=0xFFFFFF))))
    ctx["extra"]["huge_truncated_session"] = None

    for n, (side, payload) in enumerate(cases):
        conn = Connection(w, rng, bytes((10, 7, 0, 1 + n)), 44000 + n, bytes((198, 18, 4, 1 + n)), 443)
        sni = f"huge-{n}.intercepted.example"
        if n == len(cases) - 1:
            ctx["extra"]["huge_truncated_session"] = {"sni": sni, "server": conn.server}
        conn.syn("c"); conn.syn("s"); conn.ack("c")
        if side == "c":
            conn.send("c", payload)
        else:
            conn.send("c", client_hello(rng, sni))
            for offset, piece in conn.pieces("s", payload):
                conn.segment("s", offset, piece)
                if (offset // MSS) % 64 == 63:
                    yield
        conn.ack("c" if side == "s" else "s")
        yield
    # lengths below TLS: IPv4 total length 65535 on a short frame, TCP data offset 60 on a
    # 40-byte segment, pcap original length 4 GiB - 1 on a short frame
    for n in range(300):
        src, dst = bytes((10, 7, 1, 1 + n % 200)), bytes((198, 18, 5, 1 + n % 200))
        w.tcp(src, dst, 45000 + n, 443, rng.getrandbits(32), 0, ACK | PSH, rng.randbytes(40), ip_total_length=65535)
        w.tcp(src, dst, 45000 + n, 443, rng.getrandbits(32), 0, ACK | PSH, b"", data_offset=15)
        w.tcp(src, dst, 45000 + n, 443, rng.getrandbits(32), 0, ACK | PSH, rng.randbytes(100),
              original_length=0xFFFFFFFF)
        if n % 50 == 49:
            yield


def scenario_deep_der(ctx):
    """Certificates nested thousands of DER levels deep, alone, in chains, and around the root."""
    w, rng = ctx["w"], ctx["rng"]
    qaznet = ctx["qaznet"]
    deep = [nested(d) for d in (1000, 5000, 20000)]
    deep_set = nested(3000, tag=0x31)
    deep_explicit = nested(4000, tag=0xA0)  # context-specific [0] constructed, like version
    # indefinite-length (BER) nesting: 30 80 ... 00 00, not DER
    indefinite = b"\x30\x80" * 5000 + b"\x05\x00" + b"\x00\x00" * 5000
    # certificate-shaped: TBSCertificate whose subject and an extension hold the deep nesting
    alg = tlv(0x30, tlv(0x06, bytes.fromhex("2a864886f70d01010b")) + b"\x05\x00")
    name = tlv(0x30, tlv(0x31, tlv(0x30, tlv(0x06, b"\x55\x04\x03") + tlv(0x0C, b"deep.example.com"))))
    deep_name = tlv(0x30, tlv(0x31, tlv(0x30, tlv(0x06, b"\x55\x04\x03") + nested(3000, core=b"\x0c\x01x"))))
    validity = tlv(0x30, tlv(0x17, b"240101000000Z") + tlv(0x17, b"350101000000Z"))
    spki = tlv(0x30, alg + tlv(0x03, b"\x00" + nested(2000)))
    extension = tlv(0x30, tlv(0x06, b"\x55\x1d\x11") + tlv(0x04, nested(3000)))  # SAN holding 3000 levels
    policies = tlv(0x30, tlv(0x06, b"\x55\x1d\x20") + tlv(0x04, nested(3000)))
    tbs = tlv(0x30, tlv(0xA0, tlv(0x02, b"\x02")) + tlv(0x02, b"\x01\x23") + alg + name + validity + deep_name
              + spki + tlv(0xA3, tlv(0x30, extension + policies)))
    shaped = tlv(0x30, tbs + alg + tlv(0x03, b"\x00" + rng.randbytes(256)))
    chains = [
        [deep[0]], [deep[1]], [deep[2]], [deep_set], [deep_explicit], [indefinite], [shaped],
        [shaped, deep[1], deep[0], deep_set, deep_explicit, indefinite],  # a chain of them
        [shaped, deep[1], qaznet],  # deep certificates before the interception root
        [qaznet, deep[2], indefinite],  # and after it
    ]
    ctx["extra"]["deep_sessions_with_root"] = []
    for n, chain in enumerate(chains):
        conn = Connection(w, rng, bytes((10, 6, 0, 1 + n)), 46000 + n, bytes((198, 18, 6, 1 + n)), 443)
        # a public-suffix name, so the untrusted-chain rule (OpenSSL) looks at these chains too
        sni = f"deep-{n}.example.com"
        if qaznet in chain:
            ctx["extra"]["deep_sessions_with_root"].append({"sni": sni, "server": conn.server})
        for step in tls_session_steps(conn, rng, chain, sni):
            step()
        yield


def scenario_ten_thousand(ctx):
    """Certificate messages with 10,000 small certificates each."""
    w, rng = ctx["w"], ctx["rng"]
    qaznet = ctx["qaznet"]

    def small(i):  # a 40-byte DER SEQUENCE, distinct for each i
        return b"\x30\x26" + struct.pack("!I", i) + rng.randbytes(34)

    layouts = {
        "junk": [small(i) for i in range(10_000)],
        "root-at-5": [small(i) for i in range(5)] + [qaznet] + [small(i) for i in range(5, 9_999)],
        "root-at-9999": [small(i) for i in range(9_999)] + [qaznet],
    }
    ctx["extra"]["ten_thousand_sessions"] = {}
    for n, (label, chain) in enumerate(layouts.items()):
        conn = Connection(w, rng, bytes((10, 5, 0, 1 + n)), 47000 + n, bytes((198, 18, 7, 1 + n)), 443)
        sni = f"certs-{label}.intercepted.example"
        ctx["extra"]["ten_thousand_sessions"][label] = {"sni": sni, "server": conn.server}
        for step in tls_session_steps(conn, rng, chain, sni):
            step()
            yield


def scenario_zero_length(ctx):
    """Zero lengths everywhere a length can be zero."""
    w, rng = ctx["w"], ctx["rng"]
    qaznet = ctx["qaznet"]
    empty_record = record(22, b"")
    flights = {
        # zero-length records before, between and after every message
        "empty-records": empty_record * 50 + record(22, server_hello(rng)) + empty_record * 50
            + record(22, certificate_message([qaznet])) + empty_record + record(22, SERVER_HELLO_DONE),
        # zero-length handshake messages of every type, then a real flight
        "empty-messages": record(22, b"".join(handshake(t, b"") for t in (0, 2, 11, 12, 13, 14, 15, 20, 22, 255))),
        "empty-certificate-list": records(22, server_hello(rng) + handshake(11, u24(0)) + SERVER_HELLO_DONE),
        "empty-certificates": records(22, server_hello(rng) + certificate_message([b"", b"", qaznet, b""])
                                      + SERVER_HELLO_DONE),
        "only-empty-certificate": records(22, server_hello(rng) + certificate_message([b""]) + SERVER_HELLO_DONE),
        "empty-ccs-alert-appdata": record(20, b"") + record(21, b"") + record(23, b"") + record(24, b""),
        "empty-status": records(22, server_hello(rng) + handshake(22, b"") + handshake(22, b"\x01" + u24(0))
                                + certificate_message([qaznet]) + SERVER_HELLO_DONE),
    }
    hellos = {
        "empty-sni": client_hello(rng, ""),
        "empty-alpn": client_hello(rng, "alpn.example", alpn=(b"", b"")),
        "no-suites": client_hello(rng, "nosuites.example", suites=[]),
        "empty-extensions": record(22, handshake(1, b"\x03\x03" + rng.randbytes(32) + b"\x00" + u16(2) + u16(0x2F)
                                                 + b"\x01\x00" + u16(0)), version=0x0301),
        "empty-sni-list": record(22, handshake(1, b"\x03\x03" + rng.randbytes(32) + b"\x00" + u16(2) + u16(0x2F)
                                               + b"\x01\x00" + u16(4) + ext(0, b"")), version=0x0301),
    }
    ctx["extra"]["zero_length_sessions_with_root"] = []
    n = 0
    for label, flight in flights.items():
        for hello_label, hello in [("normal", None)] + ([] if n else list(hellos.items())):
            conn = Connection(w, rng, bytes((10, 4, 0, 1 + n)), 48000 + n, bytes((198, 18, 8, 1 + n)), 443)
            sni = f"zero-{label}-{hello_label}.intercepted.example"
            hello_bytes = hello if hello is not None else client_hello(rng, sni)
            if hello is None and qaznet in flight:
                ctx["extra"]["zero_length_sessions_with_root"].append({"sni": sni, "server": conn.server, "label": label})
            conn.syn("c"); conn.syn("s"); conn.ack("c")
            # zero-length TCP payloads (PSH with nothing) and IP options padding (NOPs, EOL)
            for _ in range(5):
                conn.segment("c", 0, b"", ACK | PSH, ip_options=b"\x01\x01\x01\x00")
                conn.segment("s", 0, b"", ACK | PSH, ip_options=b"\x00" * 40, tcp_options=b"\x01" * 40)
            conn.send("c", hello_bytes)
            conn.send("s", flight)
            conn.ack("c")
            conn.fin()
            n += 1
            yield
    # IP options with zero-length option fields (type, length 0), TCP options of length 0/1
    for i in range(500):
        src, dst = bytes((10, 4, 1, 1 + i % 200)), bytes((198, 18, 9, 1 + i % 200))
        w.tcp(src, dst, 49000 + i, 443, rng.getrandbits(32), 0, ACK, b"", ip_options=b"\x07\x00\x00\x00" * 10,
              tcp_options=b"\x02\x00\x03\x01" * 10)
        w.tcp(src, dst, 49000 + i, 443, rng.getrandbits(32), 0, SYN, b"", ip_options=b"\x44\x00\x00\x00",
              tcp_options=b"\x08\x00\x00\x00")
        if i % 100 == 99:
            yield


RANDOM_PORTS = [443, 8443, 993, 995, 465, 636, 853, 989, 990, 5061, 5223, 6697, 8883, 3269, 4443]


def scenario_random_ports(ctx):
    """Random bytes both ways on TLS ports: with and without SYN, some with a plausible TLS
    record header in front (so the hello parsers see the garbage)."""
    w, rng = ctx["w"], ctx["rng"]
    for n in range(3000):
        port = RANDOM_PORTS[n % len(RANDOM_PORTS)]
        conn = Connection(w, rng, struct.pack("!I", (10 << 24) | (3 << 16) | (n + 1)), 1024 + rng.randrange(60000),
                          struct.pack("!I", (198 << 24) | (19 << 16) | (n % 60000 + 1)), port)
        kind = n % 4
        if kind in (0, 1):
            conn.syn("c"); conn.syn("s"); conn.ack("c")
        for turn in range(rng.randrange(1, 6)):
            for side in ("c", "s"):
                body = rng.randbytes(rng.randrange(1, 3000))
                if kind in (1, 3) and turn == 0:
                    msg_type = rng.choice([1, 2, 11])
                    body = record(22, bytes([msg_type]) + u24(len(body)) + body)
                conn.send(side, body)
        if rng.random() < 0.5:
            conn.fin()
        yield


def scenario_synflood(ctx):
    """1,000,000 SYNs from random tuples to random servers on 443: 54-byte frames."""
    w, rng = ctx["w"], ctx["rng"]
    out = w.file
    getrandbits = rng.getrandbits
    pack_rec = struct.Struct("<IIII").pack
    pack_ip = struct.Struct("!BBHHHBBH4s4s").pack
    pack_tcp = struct.Struct("!HHIIBBHHH").pack
    ether = SERVER_MAC + CLIENT_MAC + b"\x08\x00"
    for block in range(1000):
        for _ in range(1000):
            src = (getrandbits(32) | 0x01000000).to_bytes(4, "big")
            dst = (getrandbits(32) | 0x01000000).to_bytes(4, "big")
            w.ip_id = (w.ip_id + 1) & 0xFFFF
            ip = pack_ip(0x45, 0, 40, w.ip_id, 0x4000, 64, 6, 0, src, dst)
            ip = ip[:10] + ip_checksum(ip).to_bytes(2, "big") + ip[12:]
            tcp = pack_tcp(getrandbits(16) | 1024, 443, getrandbits(32), 0, 0x50, SYN, 65535, 0, 0)
            w.time_us += 7
            sec, usec = divmod(w.time_us, 1_000_000)
            out.write(pack_rec(sec, usec, 54, 54))
            out.write(ether + ip + tcp)
            w.packets += 1
        yield


def scenario_half_open(ctx):
    """200,000 connections: SYN (half of them answered), then the first part of a ClientHello
    record, then nothing -- each holds a partial record in the sniffer until it is evicted."""
    w, rng = ctx["w"], ctx["rng"]
    hello = client_hello(random.Random(1), "half-open.example")
    for block in range(200):
        for i in range(1000):
            n = block * 1000 + i
            conn = Connection(w, rng, struct.pack("!I", (10 << 24) | (128 << 16) | n), 1024 + n % 60000,
                              struct.pack("!I", (198 << 24) | (20 << 16) | (n % 50000)), 443)
            conn.syn("c")
            if n % 2:
                conn.syn("s")
            cut = 10 + n % 120
            conn.segment("c", 0, hello[:cut])
        yield


SCENARIOS = [
    Scenario("overlap-inconsistent", 0, scenario_overlap, window=50),
    Scenario("one-byte-segments", 0, scenario_one_byte, window=20),
    Scenario("huge-lengths", 0, scenario_huge_lengths, window=10),
    Scenario("deep-der", 10, scenario_deep_der, window=4),
    Scenario("ten-thousand-certs", 0, scenario_ten_thousand, window=10),
    Scenario("zero-length", 0, scenario_zero_length, window=5),
    Scenario("random-tls-ports", 3000, scenario_random_ports, window=500),
    Scenario("synflood", 1000, scenario_synflood, window=50),
    Scenario("half-open", 200, scenario_half_open, window=20),
]


def count_units(scenario, certs):
    """How many times a scenario yields (run against a throwaway writer)."""
    ctx = make_context(os.devnull, certs)
    units = sum(1 for _ in scenario.make(ctx))
    ctx["w"].close()
    return units


def make_context(path, certs):
    qaznet = load_pem_der(os.path.join(certs, QAZNET_SHA256 + ".pem"))
    # harmless certificates for ordinary sessions: made here (well-formed X.509 shape, random
    # key and signature), so the output does not depend on the machine's trust store.
    cert_rng = random.Random(SEED ^ 0xCE27)
    benign = [synthetic_certificate(cert_rng, f"benign-{i}.example") for i in range(8)]
    big = b"\x30\x82" + u16(60_000) + random.Random(2).randbytes(60_000)
    return {"w": Writer(path), "rng": random.Random(SEED), "qaznet": qaznet, "benign": benign, "big": big,
            "extra": {}}


def write_scenario(scenario, outdir, certs):
    units = scenario.units or count_units(scenario, certs)
    path = os.path.join(outdir, scenario.name + ".pcap")
    ctx = make_context(path, certs)
    w = ctx["w"]
    session_rng = random.Random(SEED ^ 0x5E55)
    sessions = []
    schedule = {}

    def add(placement, index):
        conn = Connection(w, session_rng, bytes((10, 200, index, 1)), 50000 + index, bytes((203, 0, 113, 10 + index)),
                          443 if index % 2 == 0 else 8443)
        sni = f"{scenario.name}-{placement}.intercepted.example"
        steps = tls_session_steps(conn, session_rng, [ctx["qaznet"]], sni)
        sessions.append({"placement": placement, "sni": sni, "client": conn.client, "server": conn.server})
        if placement == "before":
            positions = [0] * len(steps)
        elif placement == "after":
            positions = [units] * len(steps)
        elif placement == "spanning":
            positions = [round(i * units / (len(steps) - 1)) for i in range(len(steps))]
        else:  # among: a short stretch in the middle
            start = units // 2
            window = max(1, min(scenario.window, units // 4))
            positions = [start + round(i * window / (len(steps) - 1)) for i in range(len(steps))]
        for position, step in zip(positions, steps):
            schedule.setdefault(position, []).append(step)

    for index, placement in enumerate(("before", "spanning", "among", "after")):
        add(placement, index)

    def run_scheduled(position):
        for step in schedule.pop(position, []):
            step()

    position = 0
    run_scheduled(0)
    for _ in scenario.make(ctx):
        position += 1
        run_scheduled(position)
    for rest in sorted(schedule):
        run_scheduled(rest)
    w.close()
    return {"file": scenario.name + ".pcap", "packets": w.packets, "units": units,
            "interception_sessions": sessions, "details": ctx["extra"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir")
    parser.add_argument("--only", action="append", choices=[s.name for s in SCENARIOS],
                        help="write only this scenario (repeatable)")
    shared = os.environ.get("MITMWATCH_SHARED") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                                "shared")
    parser.add_argument("--certs", default=os.path.join(os.path.normpath(shared), "indicators", "certs"),
                        help="directory of the shared indicator PEMs (default: $MITMWATCH_SHARED or ../shared)")
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    manifest_path = os.path.join(args.outdir, "manifest.json")
    manifest = {"interception_certificate": {"sha256": QAZNET_SHA256, "subject": "C=KZ, CN=Qaznet Trust Network",
                                             "source": f"{args.certs}/{QAZNET_SHA256}.pem"},
                "scenarios": {}}
    if os.path.exists(manifest_path):
        try:
            manifest["scenarios"] = json.load(open(manifest_path)).get("scenarios", {})
        except ValueError:
            pass
    for scenario in SCENARIOS:
        if args.only and scenario.name not in args.only:
            continue
        started = time.time()
        entry = write_scenario(scenario, args.outdir, args.certs)
        entry["seconds"] = round(time.time() - started, 2)
        manifest["scenarios"][scenario.name] = entry
        print(f"{scenario.name}: {entry['packets']} packets, "
              f"{os.path.getsize(os.path.join(args.outdir, entry['file']))} bytes, {entry['seconds']} s",
              file=sys.stderr)
    with open(manifest_path, "w") as out:
        json.dump(manifest, out, indent=2)
        out.write("\n")


if __name__ == "__main__":
    main()
