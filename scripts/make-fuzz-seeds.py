#!/usr/bin/env python3
"""Builds the committed fuzzing seed corpora in Fuzz/corpus/ (run from anywhere; needs openssl, tshark).

  certificate/    DER certificates: the shared indicator set (PEM -> DER) and a few system roots
  tls-handshake/  real handshakes from Tests/SnifferTests/Fixtures/real/*.pcap, each direction's TCP
                  payload stream extracted with tshark and packed in FuzzTLSHandshake's format
  packet/         a few frames per link type from Tests/SnifferTests/Fixtures/decode/*.pcap, in
                  FuzzPacket's format (single frames, plus one multi-frame seed per capture)
  capture-file/   whole small capture files for FuzzCaptureFile: decode fixtures (pcap, both byte
                  orders, µs and ns), pcapng made by mergecap (several link types) and editcap (if_tsresol),
                  each also cut inside a block, and a hand-made two-section pcapng with every block type

Seed file names are the SHA-1 of the content (libFuzzer's convention), so reruns are idempotent.
"""
import glob, hashlib, os, struct, subprocess, sys, tempfile

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


def pcapng_block(endian, block_type, body):
    body += b"\0" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack(endian + "II", block_type, length) + body + struct.pack(endian + "I", length)


def pcapng_options(endian, options):
    out = b""
    for code, value in options:
        out += struct.pack(endian + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)
    return out + struct.pack(endian + "HH", 0, 0)


def handmade_pcapng(frames):
    """Two sections (big-endian, then little-endian) with every block type the reader knows."""
    out = b""
    for endian in (">", "<"):
        out += pcapng_block(endian, 0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1)
                            + pcapng_options(endian, [(1, b"seed section")]))
        out += pcapng_block(endian, 1, struct.pack(endian + "HHI", 1, 0, 0)
                            + pcapng_options(endian, [(9, b"\x94"), (14, struct.pack(endian + "q", 3600))]))
        out += pcapng_block(endian, 1, struct.pack(endian + "HHI", 101, 0, 96) + pcapng_options(endian, [(9, b"\x09")]))
        out += pcapng_block(endian, 4, struct.pack(endian + "HH", 1, 8) + bytes([10, 0, 0, 1]) + b"a.b\0"
                            + struct.pack(endian + "HH", 0, 0))
        for index, frame in enumerate(frames):
            out += pcapng_block(endian, 6, struct.pack(endian + "IIIII", index % 3, 0, 1 << 20 | index, len(frame),
                                                       len(frame)) + frame + b"\0" * (-len(frame) % 4)
                                + pcapng_options(endian, [(1, b"comment")]))
        out += pcapng_block(endian, 3, struct.pack(endian + "I", len(frames[0])) + frames[0])
        out += pcapng_block(endian, 2, struct.pack(endian + "HHIIII", 1, 0, 0, 7, len(frames[-1]), len(frames[-1]))
                            + frames[-1])
        out += pcapng_block(endian, 5, struct.pack(endian + "III", 0, 0, 0))
        out += pcapng_block(endian, 0x0A, struct.pack(endian + "II", 0x544C534B, 4) + b"keys")
    return out


def capture_files():
    out = os.path.join(CORPUS, "capture-file")
    decode = os.path.join(ROOT, "Tests", "SnifferTests", "Fixtures", "decode")
    for name in ("raw", "loop", "raw-dlt12", "sll2", "vlan"):   # little/big-endian, µs/ns, several link types
        with open(os.path.join(decode, name + ".pcap"), "rb") as handle:
            write(out, handle.read())
    with tempfile.TemporaryDirectory() as scratch:
        mixed = os.path.join(scratch, "mixed.pcapng")
        subprocess.run(["mergecap", "-I", "any", "-F", "pcapng", "-w", mixed, os.path.join(decode, "ethernet.pcap"),
                        os.path.join(decode, "raw.pcap"), os.path.join(decode, "sll2.pcap")], check=True)
        nano = os.path.join(scratch, "nano.pcapng")
        subprocess.run(["editcap", "-F", "pcapng", os.path.join(decode, "raw-dlt12.pcap"), nano], check=True)
        for path in (mixed, nano):
            with open(path, "rb") as handle:
                data = handle.read()
            write(out, data)
            write(out, data[:len(data) * 2 // 3])   # cut inside a block
    _, frames = pcap_frames(os.path.join(decode, "ethernet.pcap"))
    write(out, handmade_pcapng(frames[:3]))


if __name__ == "__main__":
    certificates()
    handshakes()
    packets()
    capture_files()
    for name in ("certificate", "tls-handshake", "packet", "capture-file"):
        directory = os.path.join(CORPUS, name)
        files = os.listdir(directory)
        size = sum(os.path.getsize(os.path.join(directory, f)) for f in files)
        print(f"{name}: {len(files)} files, {size} bytes")
