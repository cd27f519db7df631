#!/usr/bin/env python3
"""Builds the committed fuzzing seed corpora in Fuzz/corpus/ (run from anywhere; needs openssl, tshark).

  certificate/    DER certificates: the shared indicator set (PEM -> DER) and a few system roots
  tls-handshake/  real handshakes from Tests/SnifferTests/Fixtures/real/*.pcap, each direction's TCP
                  payload stream extracted with tshark and packed in FuzzTLSHandshake's format
  packet/         a few frames per link type from Tests/SnifferTests/Fixtures/decode/*.pcap, in
                  FuzzPacket's format (single frames, plus one multi-frame seed per capture)

Seed file names are the SHA-1 of the content (libFuzzer's convention), so reruns are idempotent.
"""
import glob, hashlib, os, struct, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Fuzz", "corpus")
SHARED_CERTS = os.path.join(ROOT, "..", "shared", "indicators", "certs")
SYSTEM_CERTS = ["ISRG_Root_X1.pem", "DigiCert_Global_Root_G2.pem", "GlobalSign_Root_CA.pem",
                "Amazon_Root_CA_3.pem", "Certum_Trusted_Network_CA_2.pem"]

# FuzzPacket's link type table (index = byte 0 & 0x7f), by pcap LINKTYPE value.
LINK_INDEX = {0: 0, 1: 1, 9: 2, 12: 3, 14: 4, 50: 5, 101: 6, 108: 7, 113: 8, 228: 9, 229: 10, 276: 11}


def write(directory, data):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, hashlib.sha1(data).hexdigest())
    with open(path, "wb") as handle:
        handle.write(data)


def der(pem_path):
    return subprocess.run(["openssl", "x509", "-in", pem_path, "-outform", "DER"],
                          check=True, capture_output=True).stdout


def certificates():
    out = os.path.join(CORPUS, "certificate")
    shared = sorted(glob.glob(os.path.join(SHARED_CERTS, "*.pem")))[:30]
    for path in shared:
        write(out, der(path))
    system = [os.path.join("/etc/ssl/certs", name) for name in SYSTEM_CERTS]
    for path in system:
        if os.path.exists(path):
            write(out, der(path))


def streams(pcap):
    """(client bytes, server bytes) of the first TCP connection, in sequence order, deduplicated."""
    fields = subprocess.run(
        ["tshark", "-r", pcap, "-o", "tcp.relative_sequence_numbers:TRUE", "-o", "tcp.analyze_sequence_numbers:TRUE",
         "-Y", "tcp.stream == 0", "-T", "fields", "-E", "separator=|",
         "-e", "tcp.flags.syn", "-e", "tcp.flags.ack", "-e", "tcp.srcport", "-e", "tcp.seq", "-e", "tcp.payload"],
        check=True, capture_output=True, text=True).stdout
    client_port = None
    pieces = {}
    for line in fields.splitlines():
        syn, ack, port, seq, payload = line.split("|")
        if client_port is None and syn in ("1", "True") and ack in ("0", "False"):
            client_port = port
        if payload:
            pieces.setdefault(port, {})[int(seq)] = bytes.fromhex(payload.replace(":", ""))
    if client_port is None:
        return None

    def join(by_seq):
        data = bytearray()
        for seq in sorted(by_seq):
            chunk = by_seq[seq]
            start = seq - 1  # relative sequence numbers start at 1 after the SYN
            if start + len(chunk) > len(data):
                data += chunk[max(0, len(data) - start):]
        return bytes(data)

    client = join(pieces.get(client_port, {}))
    server = join(next((v for k, v in pieces.items() if k != client_port), {}))
    return client, server


def handshakes():
    out = os.path.join(CORPUS, "tls-handshake")
    for pcap in sorted(glob.glob(os.path.join(ROOT, "Tests", "SnifferTests", "Fixtures", "real", "*.pcap"))):
        result = streams(pcap)
        if result is None:
            print(f"skip {pcap}: no SYN", file=sys.stderr)
            continue
        client, server = result
        client, server = client[:32768], server[:65535]   # 2-byte client length; keep seeds small
        if len(client) + len(server) > 80_000:
            server = server[:80_000 - len(client)]
        # flags, segment size, client length, seed: in order, 1448-byte segments (value 244).
        variants = [(0x08, 244, 1), (0x10 | 0x08, 40, 7), (0x01 | 0x02 | 0x20, 100, 3)]
        if "big-chain" in pcap:
            # ~64 KB each: one in-order seed from one of the two captures (the streams are alike).
            if "segmented" not in pcap:
                continue
            variants = variants[:1]
        for flags, size, seed in variants:
            write(out, bytes([flags, size]) + struct.pack(">H", len(client)) + bytes([seed]) + client + server)


def pcap_frames(path):
    with open(path, "rb") as handle:
        data = handle.read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0fffffff
    offset, frames = 24, []
    while offset + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[offset:offset + 16])
        frames.append(data[offset + 16:offset + 16 + caplen])
        offset += 16 + caplen
    return linktype, frames


def packets():
    out = os.path.join(CORPUS, "packet")
    for path in sorted(glob.glob(os.path.join(ROOT, "Tests", "SnifferTests", "Fixtures", "decode", "*.pcap"))):
        linktype, frames = pcap_frames(path)
        if linktype not in LINK_INDEX:
            print(f"skip {path}: link type {linktype}", file=sys.stderr)
            continue
        index = LINK_INDEX[linktype]
        for frame in frames[:4]:
            write(out, bytes([index]) + frame)
        multi = bytearray([0x80 | index])
        for frame in frames[:16]:
            if len(frame) < 65536:
                multi += struct.pack(">H", len(frame)) + frame
        write(out, bytes(multi))


if __name__ == "__main__":
    certificates()
    handshakes()
    packets()
    for name in ("certificate", "tls-handshake", "packet"):
        directory = os.path.join(CORPUS, name)
        files = os.listdir(directory)
        size = sum(os.path.getsize(os.path.join(directory, f)) for f in files)
        print(f"{name}: {len(files)} files, {size} bytes")
