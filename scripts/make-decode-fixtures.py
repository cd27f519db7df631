#!/usr/bin/env python3
"""Writes the packet-decoder test fixtures: small classic pcap files, one per encapsulation,
each frame carrying one TCP segment with known addresses, ports, sequence number and payload.

    pip install scapy && python3 scripts/make-decode-fixtures.py

Output: Tests/SnifferTests/Fixtures/decode/*.pcap (committed; rerun only to change them).
The Swift tests (Tests/SnifferTests/Decode/) hold the expected values below as constants:

    IPv4 10.1.1.1 -> 10.2.2.2, IPv6 2001:db8::1 -> 2001:db8::2 (innermost)
    destination port 443, seq 0x01020304, ack 0x0a0b0c0d, flags PSH|ACK, window 8192
    source port and payload per fixture (FIXTURES below)
"""
import os
import random
import struct
import sys

from scapy.all import (ARP, AH, CookedLinux, CookedLinuxV2, Dot1Q, Ether, GRE, GRE_PPTP, ICMP, IP, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                       IPOption_NOP, IPOption_RR, IPOption_Timestamp, LLC, Padding, PPP, PPPoE, Raw, SNAP,
                       TCP, UDP, VXLAN, conf, fragment, fragment6)
from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III, ERSPAN_PlatformSpecific
from scapy.contrib.geneve import GENEVE
from scapy.contrib.gtp import GTP_U_Header, GTPPDUSessionContainer
from scapy.contrib.mpls import MPLS

conf.verb = 0

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "SnifferTests", "Fixtures", "decode")

V4_SRC, V4_DST = "10.1.1.1", "10.2.2.2"
V6_SRC, V6_DST = "2001:db8::1", "2001:db8::2"
OUTER4_SRC, OUTER4_DST = "192.0.2.1", "192.0.2.2"
OUTER6_SRC, OUTER6_DST = "2001:db8:ffff::1", "2001:db8:ffff::2"
MAC_A, MAC_B = "02:00:00:00:00:01", "02:00:00:00:00:02"

LINK = {"null": 0, "ethernet": 1, "ppp": 9, "raw": 12, "ppp_serial": 50, "linktype_raw": 101,
        "loop": 108, "sll": 113, "ipv4": 228, "ipv6": 229, "sll2": 276}


def tcp(sport, payload):
    return TCP(sport=sport, dport=443, seq=0x01020304, ack=0x0a0b0c0d, flags="PA", window=8192) / Raw(payload)


def v4(sport, payload, **ip):
    return IP(src=V4_SRC, dst=V4_DST, id=0x1234, **ip) / tcp(sport, payload)


def v6(sport, payload):
    return IPv6(src=V6_SRC, dst=V6_DST) / tcp(sport, payload)


def eth(inner, **kw):
    return Ether(src=MAC_A, dst=MAC_B, **kw) / inner


def outer4(inner, proto=None):
    kw = {} if proto is None else {"proto": proto}
    return IP(src=OUTER4_SRC, dst=OUTER4_DST, **kw) / inner


def write_pcap(name, linktype, frames, big_endian=False, nanoseconds=False):
    """Classic pcap: 24-byte global header, 16-byte record headers, timestamps 1 s apart."""
    order = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nanoseconds else 0xA1B2C3D4
    data = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)
    for index, frame in enumerate(frames):
        raw = bytes(frame)
        data += struct.pack(order + "IIII", 1_700_000_000 + index, 0, len(raw), len(raw)) + raw
    with open(os.path.join(OUT, name + ".pcap"), "wb") as handle:
        handle.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    P = lambda name: b"mitmwatch decode fixture: " + name.encode()

    # --- link layers -------------------------------------------------------------------------
    write_pcap("ethernet", LINK["ethernet"], [
        eth(v4(40001, P("ethernet"))),
        eth(v6(40002, P("ethernet-ipv6"))),
        # A short segment padded to the 60-byte Ethernet minimum: the padding is not payload.
        eth(v4(40003, b"hi")) / Padding(b"\xee" * 8),
    ])
    write_pcap("vlan", LINK["ethernet"], [eth(Dot1Q(vlan=42) / v4(40010, P("vlan")))])
    write_pcap("qinq", LINK["ethernet"], [
        Ether(src=MAC_A, dst=MAC_B, type=0x88A8) / Dot1Q(vlan=100, type=0x8100) / Dot1Q(vlan=42) / v4(40020, P("qinq-88a8")),
        Ether(src=MAC_A, dst=MAC_B, type=0x9100) / Dot1Q(vlan=100, type=0x8100) / Dot1Q(vlan=42) / v6(40021, P("qinq-9100")),
    ])
    write_pcap("sll", LINK["sll"], [
        CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, src=b"\x02\x00\x00\x00\x00\x01\x00\x00", proto=0x0800) / v4(40030, P("sll")),
        CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6, src=b"\x02\x00\x00\x00\x00\x01\x00\x00", proto=0x86DD) / v6(40031, P("sll-ipv6")),
    ])
    write_pcap("sll2", LINK["sll2"], [
        CookedLinuxV2(proto=0x0800, ifindex=3, lladdrtype=1, pkttype=0, lladdrlen=6, src=b"\x02\x00\x00\x00\x00\x01\x00\x00") / v4(40040, P("sll2")),
        CookedLinuxV2(proto=0x86DD, ifindex=3, lladdrtype=1, pkttype=4, lladdrlen=6, src=b"\x02\x00\x00\x00\x00\x01\x00\x00") / v6(40041, P("sll2-ipv6")),
    ])
    # NULL: family in host order; little-endian (x86) AF_INET, little-endian AF_INET6 (FreeBSD
    # 28), and a big-endian host's AF_INET6 (Darwin 30) in the same file.
    write_pcap("null", LINK["null"], [
        struct.pack("<I", 2) + bytes(v4(40050, P("null"))),
        struct.pack("<I", 28) + bytes(v6(40051, P("null-ipv6-le"))),
        struct.pack(">I", 30) + bytes(v6(40052, P("null-ipv6-be"))),
    ])
    # LOOP: network order (OpenBSD AF_INET6 = 24). File written big-endian, to exercise the reader.
    write_pcap("loop", LINK["loop"], [
        struct.pack(">I", 2) + bytes(v4(40060, P("loop"))),
        struct.pack(">I", 24) + bytes(v6(40061, P("loop-ipv6"))),
    ], big_endian=True)
    write_pcap("raw", LINK["linktype_raw"], [v4(40070, P("raw-v4")), v6(40071, P("raw-v6"))])
    write_pcap("raw-dlt12", LINK["raw"], [v4(40072, P("raw12-v4")), v6(40073, P("raw12-v6"))], nanoseconds=True)
    write_pcap("ipv4-link", LINK["ipv4"], [v4(40074, P("linktype-ipv4"))])
    write_pcap("ipv6-link", LINK["ipv6"], [v6(40075, P("linktype-ipv6"))])
    write_pcap("ppp", LINK["ppp"], [
        b"\xff\x03\x00\x21" + bytes(v4(40080, P("ppp"))),
        b"\x00\x57" + bytes(v6(40081, P("ppp-ipv6-no-address"))),
        b"\xff\x03\x21" + bytes(v4(40082, P("ppp-pfc"))),  # protocol-field compression
    ])
    write_pcap("ppp-serial", LINK["ppp_serial"], [
        b"\xff\x03\x00\x21" + bytes(v4(40085, P("ppp-serial"))),
        b"\x0f\x00\x86\xdd" + bytes(v6(40086, P("cisco-hdlc-ipv6"))),
    ])

    # --- encapsulations and tunnels ----------------------------------------------------------
    write_pcap("pppoe", LINK["ethernet"], [
        eth(PPPoE(sessionid=0x1111) / PPP(proto=0x0021) / v4(40100, P("pppoe")), type=0x8864),
        eth(PPPoE(sessionid=0x1111) / PPP(proto=0x0057) / v6(40101, P("pppoe-ipv6")), type=0x8864),
    ])
    write_pcap("mpls", LINK["ethernet"], [
        eth(MPLS(label=100, s=0, ttl=64) / MPLS(label=200, s=1, ttl=64) / v4(40110, P("mpls")), type=0x8847),
        eth(MPLS(label=300, s=1, ttl=64) / v6(40111, P("mpls-ipv6")), type=0x8847),
    ])
    write_pcap("mpls-pw-ethernet", LINK["ethernet"], [
        eth(MPLS(label=100, s=0) / MPLS(label=16, s=1) / Raw(b"\x00\x00\x00\x07") / eth(v4(40120, P("mpls-pw"))), type=0x8847),
    ])
    write_pcap("gre", LINK["ethernet"], [
        eth(outer4(GRE(proto=0x0800) / v4(40130, P("gre")))),
        eth(outer4(GRE(proto=0x86DD, chksum_present=1, key_present=1, key=77, seqnum_present=1, seqence_number=5)
                   / v6(40131, P("gre-ckey-seq-ipv6")))),
        eth(outer4(GRE(proto=0x6558, key_present=1, key=9) / eth(v4(40132, P("gre-teb"))))),
        eth(outer4(GRE(proto=0x8847) / MPLS(label=5, s=1) / v4(40133, P("gre-mpls")))),
        eth(IPv6(src=OUTER6_SRC, dst=OUTER6_DST) / GRE(proto=0x0800) / v4(40134, P("gre-over-ipv6")), type=0x86DD),
    ])
    write_pcap("gre-erspan2", LINK["ethernet"], [
        eth(outer4(GRE(proto=0x88BE, seqnum_present=1, seqence_number=1) / ERSPAN_II(session_id=3, vlan=0)
                   / eth(v4(40140, P("erspan2"))))),
        # ERSPAN type I: no sequence number, no ERSPAN header.
        eth(outer4(GRE(proto=0x88BE) / eth(v4(40141, P("erspan1"))))),
    ])
    write_pcap("gre-erspan3", LINK["ethernet"], [
        eth(outer4(GRE(proto=0x22EB, seqnum_present=1, seqence_number=1) / ERSPAN_III(session_id=4, o=0)
                   / eth(v4(40150, P("erspan3"))))),
        eth(outer4(GRE(proto=0x22EB, seqnum_present=1, seqence_number=2) / ERSPAN_III(session_id=4, o=1)
                   / ERSPAN_PlatformSpecific(platf_id=3) / eth(v6(40151, P("erspan3-platform"))))),
    ])
    write_pcap("pptp", LINK["ethernet"], [
        eth(outer4(GRE_PPTP(seqnum_present=1, seqence_number=9, call_id=5) / PPP(proto=0x0021) / v4(40160, P("pptp")))),
        eth(outer4(GRE_PPTP(seqnum_present=1, seqence_number=10, acknum_present=1, ack_number=3, call_id=5)
                   / Raw(b"\xff\x03") / PPP(proto=0x0057) / v6(40161, P("pptp-ack-hdlc")))),
    ])
    write_pcap("vxlan", LINK["ethernet"], [
        eth(outer4(UDP(sport=51000, dport=4789) / VXLAN(vni=1001, flags=0x08) / eth(v4(40170, P("vxlan"))))),
        eth(outer4(UDP(sport=51000, dport=8472) / VXLAN(vni=1002, flags=0x08) / eth(v6(40171, P("vxlan-8472"))))),
    ])
    write_pcap("geneve", LINK["ethernet"], [
        eth(outer4(UDP(sport=51001, dport=6081) / GENEVE(vni=7, proto=0x6558, optionlen=2,
                                                         options=b"\x01\x02\x03\x01\xaa\xbb\xcc\xdd")
                   / eth(v4(40180, P("geneve"))))),
        eth(outer4(UDP(sport=51001, dport=6081) / GENEVE(vni=7, proto=0x86DD) / v6(40181, P("geneve-ipv6")))),
    ])
    write_pcap("gtpu", LINK["ethernet"], [
        eth(outer4(UDP(sport=2152, dport=2152) / GTP_U_Header(gtp_type=255, teid=0x1000) / v4(40190, P("gtpu")))),
        eth(outer4(UDP(sport=2152, dport=2152) / GTP_U_Header(gtp_type=255, teid=0x1001, E=1, S=1, seq=77, next_ex=0x85)
                   / GTPPDUSessionContainer(type=1, QFI=9) / v6(40191, P("gtpu-ext-ipv6")))),
    ])
    write_pcap("ipip", LINK["ethernet"], [eth(outer4(v4(40200, P("ipip")), proto=4))])
    write_pcap("6in4", LINK["ethernet"], [eth(outer4(v6(40210, P("6in4")), proto=41))])
    origin = b"\x00\x00" + struct.pack(">H", 0xFFFF ^ 40000) + bytes([0xFF ^ 198, 0xFF ^ 51, 0xFF ^ 100, 0xFF ^ 1])
    auth = b"\x00\x01\x00\x00" + b"\x11" * 8 + b"\x00"
    write_pcap("teredo", LINK["ethernet"], [
        eth(outer4(UDP(sport=3544, dport=40000) / Raw(origin) / v6(40220, P("teredo-origin")))),
        eth(outer4(UDP(sport=3544, dport=40000) / Raw(auth + origin) / v6(40221, P("teredo-auth-origin")))),
        eth(outer4(UDP(sport=40000, dport=3544) / v6(40222, P("teredo-plain")))),
    ])

    # --- IP layer ----------------------------------------------------------------------------
    write_pcap("ipv4-options", LINK["ethernet"], [
        eth(IP(src=V4_SRC, dst=V4_DST, options=[IPOption_RR(routers=["1.2.3.4"]), IPOption_NOP(), IPOption_NOP()])
            / TCP(sport=40300, dport=443, seq=0x01020304, ack=0x0a0b0c0d, flags="PA", window=8192,
                  options=[("MSS", 1460), ("NOP", None), ("WScale", 7), ("SAckOK", b""), ("Timestamp", (1, 2))])
            / Raw(P("ipv4-options"))),
    ])
    write_pcap("ipv6-ext-chain", LINK["ethernet"], [
        eth(IPv6(src=V6_SRC, dst=V6_DST) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt()
            / IPv6ExtHdrRouting(addresses=["2001:db8::99"], segleft=0) / AH(nh=60, payloadlen=4, spi=1, icv=b"\x00" * 12)
            / IPv6ExtHdrDestOpt() / tcp(40310, P("ipv6-ext-chain"))),
    ])
    # IPv4 fragments, 3000 payload bytes in 1000-byte pieces, delivered last, first, middle.
    big4 = bytes((i * 7 + 3) & 0xFF for i in range(3000))
    frags4 = fragment(IP(src=V4_SRC, dst=V4_DST, id=0x4242) / tcp(40320, big4), fragsize=1000)
    assert len(frags4) >= 3
    order = [len(frags4) - 1] + list(range(len(frags4) - 1))
    order[1], order[2] = order[2], order[1]
    write_pcap("ipv4-fragments", LINK["ethernet"], [eth(frags4[i]) for i in order])
    big6 = bytes((i * 13 + 5) & 0xFF for i in range(3000))
    frags6 = fragment6(IPv6(src=V6_SRC, dst=V6_DST) / IPv6ExtHdrFragment(id=0xabcdef) / tcp(40330, big6), 1280)
    assert len(frags6) >= 3
    write_pcap("ipv6-fragments", LINK["ethernet"], [eth(frags6[i]) for i in reversed(range(len(frags6)))])
    # Overlapping IPv4 fragments: bytes 16..31 arrive twice with different contents; the first
    # copy must win (and the conflict be counted).
    whole = bytes(IP(src=V4_SRC, dst=V4_DST, id=0x5151) / tcp(40340, b"A" * 40))
    header, body = whole[:20], whole[20:]  # body: 20 TCP + 40 payload = 60 bytes
    def frag4(offset, data, more):
        return IP(src=V4_SRC, dst=V4_DST, id=0x5151, proto=6, flags="MF" if more else 0, frag=offset // 8) / Raw(data)
    evil = body[16:32].replace(b"A", b"Z")
    write_pcap("overlapping-fragments", LINK["ethernet"], [
        eth(frag4(0, body[:32], True)),                  # bytes 0..31 (TCP header + 12 'A')
        eth(frag4(16, body[16:20] + evil[4:], True)),    # bytes 16..31 again, payload part differs
        eth(frag4(32, body[32:], False)),                # bytes 32..59
    ])

    # --- deep nesting: 20 encapsulations around one segment ---------------------------------
    pkt = v4(40400, P("deep"))
    for level in range(20):
        kind = level % 3
        if kind == 0:
            pkt = IP(src=OUTER4_SRC, dst=OUTER4_DST, proto=4) / pkt
        elif kind == 1:
            pkt = IP(src=OUTER4_SRC, dst=OUTER4_DST) / GRE(proto=0x0800) / pkt
        else:
            pkt = IP(src=OUTER4_SRC, dst=OUTER4_DST) / UDP(sport=50000, dport=4789) / VXLAN(vni=level, flags=0x08) / eth(pkt)
    write_pcap("tunnel-deep", LINK["ethernet"], [eth(pkt)])

    # --- not TCP -----------------------------------------------------------------------------
    write_pcap("not-tcp", LINK["ethernet"], [
        Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=V4_SRC, pdst=V4_DST),         # ignoredNonIP
        Ether(src=MAC_A, dst=MAC_B, type=0x88CC) / Raw(b"\x02\x07\x04" + b"\x00" * 40),  # LLDP: ignoredNonIP
        Ether(src=MAC_A, dst=MAC_B, type=60) / LLC() / SNAP() / Raw(b"\x00" * 38),        # 802.3: ignoredNonIP
        eth(IP(src=V4_SRC, dst=V4_DST) / ICMP()),                                         # ignoredOtherTransport
        eth(IP(src=V4_SRC, dst=V4_DST) / UDP(sport=5353, dport=53) / Raw(b"q" * 12)),     # udpDatagrams
        # UDP to the VXLAN port without the I flag: plain UDP, no drop.
        eth(IP(src=V4_SRC, dst=V4_DST) / UDP(sport=5000, dport=4789) / Raw(b"\x00" * 30)),
    ])
    print("wrote fixtures to", os.path.normpath(OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
