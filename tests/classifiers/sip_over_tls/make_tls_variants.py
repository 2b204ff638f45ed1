#!/usr/bin/python3
"""Writes a TLS capture again in every shape a path or a hiding app can give it, for the
behavioural SIP-over-TLS test: the TLS records are byte for byte the same in each, only the
segments, datagrams and carriers around them change.

    make_tls_variants.py IN.pcap OUT_DIR [NAME ...]

Names (all by default):
  plain          IN as it is, as IPv4 (IPv6 packets rewritten as IPv4, 198.18.0.0/15 hosts)
  ipv6           every packet as IPv6 (NAT64 prefix 64:ff9b::/96)
  tiny1 tiny7 tiny16 tiny64
                 every TCP data segment cut into segments of at most 1, 7, 16 or 64 bytes
  overlap        64-byte pieces that each reach 16 bytes back into the previous one
  reordered      consecutive data segments of a direction swapped pairwise, where no packet
                 of the other direction lies between them
  duplicated     every data segment sent twice
  tiny-reordered tiny16, then reordered
  frag4 frag6    IPv4 / IPv6 datagrams over 120 bytes fragmented into pieces of 64 bytes
                 (more when a datagram would need over 8, the most DPDK reassembles),
                 every other datagram's fragments in reverse order
  tiny-frag6     tiny64, then frag6 (fragments of small segments)
  vlan qinq mpls mpls-pw pppoe gre gre6 gre-eth erspan2 erspan3 vxlan gtpu gtpu6 gtpu-frag
                 the carrier wrappings of tests/dataplane/encapsulate.py, around `plain`

Timestamps stay those of the original packets (pieces of one segment share its time), so the
records complete at the same times. Deterministic. Prints one line per variant written.
"""

import os
import sys

from scapy.all import IP, IPv6, TCP, Raw, Ether, rdpcap, wrpcap, fragment, fragment6
from scapy.layers.inet6 import IPv6ExtHdrFragment

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "dataplane"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "integration"))
import encapsulate  # noqa: E402
import tcp_variants  # noqa: E402

FRAG_PAYLOAD = 64  # bytes of IP payload per fragment (a multiple of 8), at least
MAX_FRAGMENTS = 8  # per datagram: DPDK's RTE_LIBRTE_IP_FRAG_MAX_FRAG, more are rejected

CARRIERS = ["vlan", "qinq", "mpls", "mpls-pw", "pppoe", "gre", "gre6", "gre-eth", "erspan2",
            "erspan3", "vxlan", "gtpu", "gtpu6", "gtpu-frag"]
NAMES = ["plain", "ipv6", "tiny1", "tiny7", "tiny16", "tiny64", "overlap", "reordered",
         "duplicated", "tiny-reordered", "frag4", "frag6", "tiny-frag6"] + CARRIERS


def ip_of(frame):
    return frame[IP] if IP in frame else frame[IPv6] if IPv6 in frame else None


def to_ipv4(ip):
    """IPv6 as IPv4: hosts keep their order (198.18.0.1, .2, ... by first appearance)."""
    if ip.version == 4:
        return ip
    payload = ip.payload.copy()
    if hasattr(payload, "chksum"):
        del payload.chksum
    return IP(src=to_ipv4.hosts.setdefault(ip.src, f"198.18.0.{len(to_ipv4.hosts) + 1}"),
              dst=to_ipv4.hosts.setdefault(ip.dst, f"198.18.0.{len(to_ipv4.hosts) + 1}"),
              proto=ip.nh, ttl=ip.hlim) / payload


to_ipv4.hosts = {}


def framed(ip, time):
    frame = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / ip
    frame = Ether(bytes(frame))
    frame.time = time
    return frame


def plain(frames, six=False):
    out = []
    for frame in frames:
        ip = ip_of(frame)
        if ip is None:
            continue
        if IPv6 in frame and frame[IPv6].nh == 58:
            continue  # neighbour discovery of the capturing host: not part of the session
        ip = ip.copy()
        ip = encapsulate.to_ipv6(to_ipv4(ip)) if six else to_ipv4(ip)
        out.append(framed(ip, frame.time))
    return out


def cut(frames, piece):
    out = []
    for frame in frames:
        if TCP not in frame or len(bytes(frame[TCP].payload)) <= piece:
            out.append(frame)
            continue
        payload = bytes(frame[TCP].payload)
        for at in range(0, len(payload), piece):
            part = frame.copy()
            part[TCP].remove_payload()
            part[TCP].add_payload(Raw(payload[at:at + piece]))
            part[TCP].seq = (frame[TCP].seq + at) & 0xFFFFFFFF
            if at + piece < len(payload):
                part[TCP].flags = part[TCP].flags & ~0x09  # FIN and PSH on the last piece
            part = tcp_variants.rebuilt(part)
            part.time = frame.time
            out.append(part)
    return out


def reordered(frames):
    """Consecutive data segments of a direction swapped pairwise, where nothing of the other
    direction lies between them: what a path can do. (tcp_variants.py swaps across the other
    direction too, which can put a server's answer before the request it answers.)"""
    out = list(frames)
    pending = None  # (direction, index) of a data segment waiting for its partner
    for index, frame in enumerate(frames):
        if TCP not in frame:
            continue
        key = tcp_variants.direction_key(frame)
        if pending is not None and pending[0] != key:
            pending = None  # the other direction spoke: no swap across it
        if not tcp_variants.tcp_data(frame):
            continue
        if pending is None:
            pending = (key, index)
            continue
        first = pending[1]
        out[first], out[index] = frames[index].copy(), frames[first].copy()
        out[first].time, out[index].time = frames[first].time, frames[index].time
        pending = None
    return out


def fragmented(frames, seq0=0):
    out = []
    for seq, frame in enumerate(frames, seq0):
        ip = ip_of(frame).copy()
        if len(ip) <= FRAG_PAYLOAD + 56:
            out.append(frame)
            continue
        size = max(FRAG_PAYLOAD, (len(ip.payload) // MAX_FRAGMENTS + 8) // 8 * 8)
        if ip.version == 4:
            ip.id = (seq * 7 + 1) & 0xFFFF
            parts = fragment(ip, fragsize=size)
        else:
            inner = ip.copy()
            inner.nh = 44
            inner.remove_payload()
            inner.add_payload(IPv6ExtHdrFragment(nh=ip.nh, id=seq * 7 + 1) / ip.payload.copy())
            del inner.plen
            parts = fragment6(inner, size + 40 + 8)
        for part in reversed(parts) if seq % 2 else parts:
            out.append(framed(part, frame.time))
    return out


def carried(frames, name):
    out = []
    directions = encapsulate.Directions()
    for seq, frame in enumerate(frames):
        ip = ip_of(frame).copy()
        parts = encapsulate.fragments(ip, seq) if name == "gtpu-frag" else [ip]
        for part in parts:
            f = encapsulate.wrap("gtpu" if name == "gtpu-frag" else name, part,
                                 directions.uplink(ip), seq)
            f.time = frame.time
            out.append(f)
    return out


def variant(name, frames):
    base = plain(frames)
    if name == "plain":
        return base
    if name == "ipv6":
        return plain(frames, six=True)
    if name.startswith("tiny") and name[4:].isdigit():
        return cut(base, int(name[4:]))
    if name == "overlap":
        return tcp_variants.resegmented(base)
    if name == "reordered":
        return reordered(base)
    if name == "duplicated":
        return tcp_variants.retransmitted(base)
    if name == "tiny-reordered":
        return reordered(cut(base, 16))
    if name == "frag4":
        return fragmented(base)
    if name == "frag6":
        return fragmented(plain(frames, six=True))
    if name == "tiny-frag6":
        return fragmented(cut(plain(frames, six=True), 64))
    if name in CARRIERS:
        return carried(base, name)
    raise SystemExit(f"unknown variant {name}")


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: make_tls_variants.py IN.pcap OUT_DIR [NAME ...]")
    frames = rdpcap(sys.argv[1])
    os.makedirs(sys.argv[2], exist_ok=True)
    for name in sys.argv[3:] or NAMES:
        to_ipv4.hosts = {}
        packets = variant(name, frames)
        wrpcap(os.path.join(sys.argv[2], name + ".pcap"), packets)
        print(name, len(packets))


if __name__ == "__main__":
    main()
