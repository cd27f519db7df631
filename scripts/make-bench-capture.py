#!/usr/bin/env python3
"""Writes a deterministic classic-pcap capture (Ethernet/IPv4/TCP) for `mitmwatch-bench pipeline`.

Variants:
  mixed           N TLS 1.2 handshakes interleaved with M long bulk flows (each its own handshake,
                  then B bytes of application-data records) -- most bytes are bypassed traffic.
  handshake-only  N TLS 1.2 handshakes, no bulk.
  synflood        F SYNs from distinct random tuples, plus a few (N, default 10) handshakes.
  bulk            M bulk flows: every handshake first, then only their application data (round
                  robin), so all but the first packets belong to bypassed flows.
  local-pki       N TLS 1.2 handshakes (default 20,000) to 19 server names under a local PKI
                  written to --pki-dir (default: OUT without its extension, plus ".pki"): root.pem
                  (the trust store for `mitmwatch read --trust-store`), intermediates.pem, one
                  chains/*.pem per chain (22: three names are served a renewed leaf too), and
                  manifest.json with what `mitmwatch read` must report (sessions, missing-sct
                  alerts: the leaves without an embedded SCT list). Packets are dated from
                  2026-06-01, when every certificate is valid (all issued 2024-2026).

Every handshake: SYN / SYN-ACK / ACK, ClientHello with SNI, ServerHello + Certificate (a 2-3
certificate chain, real DER from /work/shared/indicators/certs; local-pki: its own) + ServerHelloDone
in 1448-byte segments, ClientKeyExchange / ChangeCipherSpec / Finished both ways, a few
application-data records and FIN / FIN / ACK. Python 3 standard library only (local-pki also runs
`openssl verify` on every chain it makes); fixed seed.
"""
import argparse
import base64
import calendar
import glob
import hashlib
import json
import os
import random
import struct
import subprocess
import tempfile

import localpki
import pcapwriter
from pcapwriter import CLIENT_MAC, SERVER_MAC

MSS = 1448
SEED = 0x6D69746D  # "mitm"

SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01


def load_chains(directory):
    """5-6 chains of 2-3 certificates each (leaf first), from the PEM files, in name order."""
    ders = []
    for path in sorted(glob.glob(os.path.join(directory, "*.pem"))):
        text = open(path).read()
        for block in text.split("-----BEGIN CERTIFICATE-----")[1:]:
            body = block.split("-----END CERTIFICATE-----")[0]
            ders.append(base64.b64decode("".join(body.split())))
    sizes = [2, 3, 2, 3, 3, 2]
    chains, index = [], 0
    for size in sizes:
        if index + size > len(ders):
            break
        chains.append(ders[index:index + size])
        index += size
    if not chains:
        raise SystemExit(f"no certificates under {directory}")
    return chains


class Writer(pcapwriter.Writer):
    def frame(self, src_mac, dst_mac, src_ip, dst_ip, sport, dport, seq, ack, flags, payload=b""):
        self.tcp(src_ip, dst_ip, sport, dport, seq, ack, flags, payload, macs=(src_mac, dst_mac))


class Connection:
    """One TCP connection; `send` segments a payload into MSS-sized frames with correct seq/ack."""

    def __init__(self, writer, rng, client_ip, client_port, server_ip, server_port=443):
        self.w = writer
        self.c = (CLIENT_MAC, client_ip, client_port)
        self.s = (SERVER_MAC, server_ip, server_port)
        self.seq = {"c": rng.getrandbits(32), "s": rng.getrandbits(32)}

    def _emit(self, side, flags, payload=b""):
        src, dst = (self.c, self.s) if side == "c" else (self.s, self.c)
        other = "s" if side == "c" else "c"
        self.w.frame(src[0], dst[0], src[1], dst[1], src[2], dst[2], self.seq[side],
                     self.seq[other] if flags & ACK else 0, flags, payload)
        self.seq[side] = (self.seq[side] + len(payload) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF

    def open(self):
        self._emit("c", SYN)
        self._emit("s", SYN | ACK)
        self._emit("c", ACK)

    def send(self, side, payload, ack_every=2):
        """Payload in MSS segments; the receiver ACKs every `ack_every` segments and at the end."""
        other = "s" if side == "c" else "c"
        count = 0
        for offset in range(0, len(payload), MSS):
            self._emit(side, ACK | PSH, payload[offset:offset + MSS])
            count += 1
            if count % ack_every == 0:
                self._emit(other, ACK)
        if count % ack_every:
            self._emit(other, ACK)

    def close(self):
        self._emit("c", FIN | ACK)
        self._emit("s", FIN | ACK)
        self._emit("c", ACK)


def record(content_type, body, version=0x0303):
    return struct.pack("!BHH", content_type, version, len(body)) + body


def handshake(msg_type, body):
    return struct.pack("!B", msg_type) + len(body).to_bytes(3, "big") + body


def ext(ext_type, body):
    return struct.pack("!HH", ext_type, len(body)) + body


def client_hello(rng, server_name):
    name = server_name.encode()
    sni = ext(0, struct.pack("!HBH", len(name) + 3, 0, len(name)) + name)
    groups = ext(10, struct.pack("!H", 8) + struct.pack("!4H", 0x001D, 0x0017, 0x0018, 0x0019))
    points = ext(11, b"\x01\x00")
    sigalgs = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]
    sig = ext(13, struct.pack("!H", 2 * len(sigalgs)) + struct.pack(f"!{len(sigalgs)}H", *sigalgs))
    alpn_list = b"\x02h2\x08http/1.1"
    alpn = ext(16, struct.pack("!H", len(alpn_list)) + alpn_list)
    ems = ext(23, b"")
    reneg = ext(0xFF01, b"\x00")
    extensions = sni + ems + reneg + groups + points + sig + alpn
    suites = [0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035]
    body = (b"\x03\x03" + rng.randbytes(32) + b"\x20" + rng.randbytes(32)
            + struct.pack("!H", 2 * len(suites)) + struct.pack(f"!{len(suites)}H", *suites)
            + b"\x01\x00" + struct.pack("!H", len(extensions)) + extensions)
    return record(22, handshake(1, body), version=0x0301)


def server_flight(rng, chain, suite=0xC02F):
    extensions = ext(0xFF01, b"\x00") + ext(11, b"\x01\x00") + ext(23, b"")
    hello = handshake(2, b"\x03\x03" + rng.randbytes(32) + b"\x20" + rng.randbytes(32)
                      + struct.pack("!HB", suite, 0) + struct.pack("!H", len(extensions)) + extensions)
    certs = b"".join(len(der).to_bytes(3, "big") + der for der in chain)
    certificate = handshake(11, len(certs).to_bytes(3, "big") + certs)
    done = handshake(14, b"")
    return record(22, hello + certificate + done)


def tls_session(conn, rng, chain, server_name, app_records, suite=0xC02F):
    conn.open()
    conn.send("c", client_hello(rng, server_name))
    conn.send("s", server_flight(rng, chain, suite))
    key_exchange = record(22, handshake(16, b"\x41\x04" + rng.randbytes(64)))
    conn.send("c", key_exchange + record(20, b"\x01") + record(22, rng.randbytes(40)))
    conn.send("s", record(20, b"\x01") + record(22, rng.randbytes(40)))
    for _ in range(app_records):
        conn.send("c", record(23, rng.randbytes(rng.randrange(200, 600))))
        conn.send("s", record(23, rng.randbytes(rng.randrange(500, 4000))))


LOCAL_NAMES = ["www.example.com", "api.example.com", "login.example.com", "static.example.com", "mail.example.com",
               "shop.example.net", "pay.example.net", "cdn.example.net", "news.example.net", "video.example.net",
               "docs.example.org", "wiki.example.org", "git.example.org", "ci.example.org", "status.example.org",
               "chat.example.com", "files.example.net", "update.example.org", "search.example.com"]
LOCAL_RENEWED = 3               # the last three names also have a renewed leaf: 22 chains
LOCAL_WITH_SCTS = {0, 5, 21}    # chains whose leaf embeds an SCT list (www, shop, search's renewal)
LOCAL_START = calendar.timegm((2026, 6, 1, 0, 0, 0))


def write_local_pki(directory, pki):
    """root.pem, intermediates.pem and chains/NN-name.pem (leaf, then its intermediate)."""
    os.makedirs(os.path.join(directory, "chains"), exist_ok=True)
    with open(os.path.join(directory, "root.pem"), "w") as file:
        file.write(localpki.pem(pki.root))
    with open(os.path.join(directory, "intermediates.pem"), "w") as file:
        file.write("".join(localpki.pem(i["der"]) for i in pki.intermediates))
    paths = []
    for index, chain in enumerate(pki.chains):
        path = os.path.join(directory, "chains", f"{index:02d}-{chain['name']}.pem")
        with open(path, "w") as file:
            file.write(localpki.pem(chain["leaf"]) + localpki.pem(chain["intermediate"]))
        paths.append(path)
    return paths


def check_with_openssl(directory, pki, paths, at):
    """Every chain must verify to root.pem for its name at the capture's time (as mitmwatch's
    validator will check it), and OpenSSL must read exactly the planned SCTs in each leaf."""
    root = os.path.join(directory, "root.pem")
    for chain, path in zip(pki.chains, paths):
        with tempfile.NamedTemporaryFile("w", suffix=".pem") as untrusted:
            untrusted.write(localpki.pem(chain["intermediate"]))
            untrusted.flush()
            verdict = subprocess.run(["openssl", "verify", "-CAfile", root, "-untrusted", untrusted.name,
                                      "-purpose", "sslserver", "-verify_hostname", chain["name"],
                                      "-attime", str(at), path], capture_output=True, text=True)
        if verdict.returncode != 0:
            raise SystemExit(f"openssl verify rejects {path}: {verdict.stdout}{verdict.stderr}")
        text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", path], capture_output=True,
                              text=True, check=True).stdout
        if text.count("Signed Certificate Timestamp:") != chain["scts"]:
            raise SystemExit(f"{path}: OpenSSL reads {text.count('Signed Certificate Timestamp:')} SCTs, "
                             f"{chain['scts']} were written")


def local_pki_capture(args):
    """The local-pki variant: the PKI, its OpenSSL check, the capture and the manifest."""
    handshakes = args.handshakes if args.handshakes is not None else 20_000
    directory = args.pki_dir or os.path.splitext(args.out)[0] + ".pki"
    pki = localpki.LocalPKI(args.seed, LOCAL_NAMES, LOCAL_RENEWED, LOCAL_WITH_SCTS,
                            at=localpki.datetime.datetime.fromtimestamp(LOCAL_START, localpki.datetime.timezone.utc))
    paths = write_local_pki(directory, pki)
    check_with_openssl(directory, pki, paths, LOCAL_START)

    rng = random.Random(args.seed)
    renewed = {chain["host"]: index for index, chain in enumerate(pki.chains) if index >= len(LOCAL_NAMES)}
    sessions = [0] * len(pki.chains)
    w = Writer(args.out, start_seconds=LOCAL_START)
    for index in range(handshakes):
        host = index % len(LOCAL_NAMES)
        chain = renewed[host] if host in renewed and (index // len(LOCAL_NAMES)) % 2 else host
        sessions[chain] += 1
        conn = Connection(w, rng, struct.pack("!I", (10 << 24) | (64 << 16) | (index + 1)), 1024 + index % 64000,
                          bytes((198, 51, 100, 1 + host)))
        tls_session(conn, rng, [pki.chains[chain]["leaf"], pki.chains[chain]["intermediate"]], LOCAL_NAMES[host],
                    app_records=1, suite=0xC02B)  # ECDHE-ECDSA: the leaves have P-256 keys
        conn.close()
    w.close()

    alerts = sum(count for count, chain in zip(sessions, pki.chains) if chain["scts"] == 0)
    manifest = {
        "generator": "scripts/make-bench-capture.py --variant local-pki",
        "seed": args.seed,
        "capture": os.path.abspath(args.out),
        "capture_bytes": os.path.getsize(args.out),
        "packets": w.packets,
        "capture_start_unix": LOCAL_START,
        "tls_version": "1.2",
        "trust_store": "root.pem",
        "handshakes": handshakes,
        "expected": {
            "sessions": handshakes,
            "sessions_with_chain": handshakes,
            "certificate_messages": handshakes,
            "alerts": alerts,
            "alerts_by_rule": {"missing-sct": alerts},
            "why": "every leaf validates to root.pem for its name; leaves without an embedded SCT list, "
                   "with no SCT TLS extension and no stapled OCSP, give one missing-sct alert per session",
        },
        "names": len(LOCAL_NAMES),
        "chains": [{"file": os.path.relpath(path, directory), "name": chain["name"],
                    "leaf_sha256": hashlib.sha256(chain["leaf"]).hexdigest(), "embedded_scts": chain["scts"],
                    "sessions": count}
                   for chain, path, count in zip(pki.chains, paths, sessions)],
    }
    with open(os.path.join(directory, "manifest.json"), "w") as file:
        json.dump(manifest, file, indent=1)
        file.write("\n")
    print(f"{args.out}: {w.packets} packets, {w.wire_bytes} wire bytes, {handshakes} TLS 1.2 handshakes, "
          f"{len(LOCAL_NAMES)} names, {len(pki.chains)} chains ({len(LOCAL_WITH_SCTS)} with embedded SCTs); "
          f"{alerts} sessions without SCT")
    print(f"{directory}: root.pem (trust store), intermediates.pem, chains/, manifest.json")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--handshakes", type=int, default=None)
    parser.add_argument("--bulk-flows", type=int, default=20)
    parser.add_argument("--bulk-bytes", type=int, default=5_000_000)
    parser.add_argument("--variant", choices=["mixed", "handshake-only", "synflood", "bulk", "local-pki"],
                        default="mixed")
    parser.add_argument("--flows", type=int, default=100_000, help="SYNs for --variant synflood (<= 1,000,000)")
    parser.add_argument("--certs", default="/work/shared/indicators/certs")
    parser.add_argument("--pki-dir", help="local-pki: where the PKI and manifest.json go")
    parser.add_argument("--seed", type=int, default=SEED, help="local-pki: seed of the PKI and the capture")
    args = parser.parse_args()
    if args.variant == "local-pki":
        local_pki_capture(args)
        return

    rng = random.Random(SEED)
    chains = load_chains(args.certs)
    handshakes = args.handshakes if args.handshakes is not None else (10 if args.variant == "synflood" else 5000)
    if args.variant == "bulk":
        handshakes = 0
    bulk_flows = args.bulk_flows if args.variant in ("mixed", "bulk") else 0
    if args.variant == "synflood" and not 0 < args.flows <= 1_000_000:
        raise SystemExit("--flows must be in 1...1,000,000")

    w = Writer(args.out)
    pool = rng.randbytes(1 << 20)  # bulk payload source: random bytes, sliced at varying offsets

    def client_ip(index):  # 10.64.0.0/10, distinct per handshake
        return struct.pack("!I", (10 << 24) | (64 << 16) | (index + 1))

    def server_ip(index):
        return bytes((198, 51, 100, 1 + index % 200))

    # Bulk flows: handshake first (so the sniffer sees a chain, then bypasses), then the data,
    # emitted a slice at a time between the handshakes.
    bulk = []
    for flow in range(bulk_flows):
        conn = Connection(w, rng, bytes((172, 16, 0, 1 + flow)), 40000 + flow, bytes((203, 0, 113, 1 + flow)))
        bulk.append({"conn": conn, "left": args.bulk_bytes, "started": False, "chain": chains[flow % len(chains)],
                     "name": f"bulk{flow}.cdn.example"})

    def bulk_step(flow, budget):
        """Sends up to `budget` bytes of application data on a bulk flow (server to client)."""
        if not flow["started"]:
            tls_session(flow["conn"], rng, flow["chain"], flow["name"], app_records=0)
            flow["started"] = True
        while budget > 0 and flow["left"] > 0:
            size = min(16384, flow["left"], budget) if flow["left"] > 16384 else flow["left"]
            body_len = max(size - 5, 1)
            start = rng.randrange(0, len(pool) - body_len)
            flow["conn"].send("s", record(23, pool[start:start + body_len]))
            flow["left"] -= size
            budget -= size
        if flow["left"] <= 0 and not flow.get("closed"):
            flow["conn"].close()
            flow["closed"] = True

    if args.variant == "synflood":
        for _ in range(args.flows):
            src = struct.pack("!I", rng.getrandbits(32) | 0x01000000)
            dst = struct.pack("!I", rng.getrandbits(32) | 0x01000000)
            w.frame(CLIENT_MAC, SERVER_MAC, src, dst, rng.randrange(1024, 65536), 443, rng.getrandbits(32), 0, SYN)

    if args.variant == "bulk":  # every handshake first, then only bypassed data, round robin
        for flow in bulk:
            bulk_step(flow, 0)
        while any(flow["left"] > 0 for flow in bulk):
            for flow in bulk:
                bulk_step(flow, 65536)

    per_handshake = 0
    if bulk:
        per_handshake = -(-args.bulk_bytes * len(bulk) // max(handshakes, 1))
    for index in range(handshakes):
        conn = Connection(w, rng, client_ip(index), 1024 + index % 64000, server_ip(index))
        host = index % 997  # as on a real network, each server name always presents the same chain
        tls_session(conn, rng, chains[host % len(chains)], f"host{host}.example.com",
                    app_records=rng.randrange(2, 5))
        conn.close()
        if bulk:
            flow = bulk[index % len(bulk)]
            bulk_step(flow, per_handshake * len(bulk) // len(bulk))
    for flow in bulk:  # whatever is left
        bulk_step(flow, flow["left"] + 1)
    w.close()
    print(f"{args.out}: {w.packets} packets, {w.wire_bytes} wire bytes, "
          f"{handshakes + len(bulk)} TLS handshakes ({len(bulk)} of them on bulk flows), "
          f"{len(chains)} chains")


if __name__ == "__main__":
    main()
