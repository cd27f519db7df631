"""Classic-pcap writing for the capture generators (make-bench-capture.py,
make-adversarial-captures.py): Ethernet/IPv4/TCP frames, one every 7 microseconds. Standard
library only."""

import struct

CLIENT_MAC = bytes.fromhex("020000000001")
SERVER_MAC = bytes.fromhex("020000000002")


def ip_checksum(header):
    if len(header) % 2:
        header += b"\0"
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total >> 16) + (total & 0xFFFF)
    return (~total) & 0xFFFF


class Writer:
    """Classic pcap, microsecond timestamps, LINKTYPE_ETHERNET; one frame every 7 us from
    `start_seconds` (default 2023-11-14T22:13:20Z)."""

    def __init__(self, path, start_seconds=1_700_000_000):
        self.file = open(path, "wb", buffering=1 << 22)
        self.file.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.time_us = start_seconds * 1_000_000
        self.packets = 0
        self.wire_bytes = 0
        self.ip_id = 0

    def raw(self, data, original_length=None):
        self.time_us += 7
        sec, usec = divmod(self.time_us, 1_000_000)
        self.file.write(struct.pack("<IIII", sec, usec, len(data),
                                    len(data) if original_length is None else original_length))
        self.file.write(data)
        self.packets += 1
        self.wire_bytes += len(data)

    def tcp(self, src_ip, dst_ip, sport, dport, seq, ack, flags, payload=b"", ip_options=b"", tcp_options=b"",
            ip_total_length=None, data_offset=None, original_length=None, macs=(CLIENT_MAC, SERVER_MAC)):
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        offset = data_offset if data_offset is not None else (20 + len(tcp_options)) // 4
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                          offset << 4, flags, 65535, 0, 0) + tcp_options
        ihl = (20 + len(ip_options)) // 4
        total = ip_total_length if ip_total_length is not None else 20 + len(ip_options) + len(tcp) + len(payload)
        ip = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, self.ip_id, 0x4000, 64, 6, 0, src_ip, dst_ip)
        ip += ip_options
        ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
        self.raw(macs[1] + macs[0] + b"\x08\x00" + ip + tcp + payload, original_length)

    def close(self):
        self.file.close()
