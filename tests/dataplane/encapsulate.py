#!/usr/bin/python3
"""Writes a plain Ethernet capture again in each carrier encapsulation the decoder handles.

    /usr/bin/python3 tests/dataplane/encapsulate.py IN.pcap OUT_DIR [NAME ...]

For every IP packet of IN.pcap, OUT_DIR/NAME.pcap holds the same IP packet wrapped in NAME
(vlan qinq mpls mpls-pw pppoe gre gre6 gre-eth erspan2 erspan3 vxlan gtpu gtpu6 frag, and
pbb gre-udp vxlan-rsv vxlan-gbp; sll2 and nflog change the file's link type to LINUX_SLL2
and NFLOG): ottscope must find the same inner flows with the same verdicts in each. Teredo
carries IPv6 only, so `teredo`, `teredo-origin` (origin indicator on server-to-client
packets) and `teredo-auth` (authentication indicator on every packet, then the origin
indicator on server-to-client ones) wrap the IPv6 rewrite below, as does `nflog6`.

`frag` fragments every IP packet longer than 360 bytes and sends the fragments of every
other datagram in reverse order. `ipv6` rewrites every IPv4 packet as IPv6 (NAT64 prefix 64:ff9b::/96) and
`ipv6-frag` fragments that (fragment header right after the IPv6 header): compare the
latter with the former. `frag-lossy` is `frag` with the last fragment of every third
fragmented datagram missing and one fragment of every fifth sent twice: the datagrams that
cannot complete exercise timeouts, rejection and the end-of-run flush. `gtpu-frag` and
`nflog-frag` wrap each fragment of `frag` in GTP-U or NFLOG. Non-IP frames are copied
unchanged (dropped from the files of another link type). Deterministic.
"""

import struct
import sys

from scapy.all import Ether, IP, IPv6, UDP, Raw, rdpcap, wrpcap, fragment, fragment6
from scapy.layers.inet6 import IPv6ExtHdrFragment
from scapy.layers.l2 import Dot1Q, GRE
from scapy.layers.ppp import PPPoE, PPP
from scapy.contrib.mpls import MPLS

OUTER4 = ("192.0.2.1", "192.0.2.2")        # tunnel endpoints (eNodeB/VTEP side first)
OUTER6 = ("2001:db8:ffff::1", "2001:db8:ffff::2")
TEID_UP, TEID_DOWN = 0x1000_0001, 0x2000_0002
MTU_PAYLOAD = 296                          # fragment payload size (multiple of 8)


def inner_ip(frame):
    if IP in frame:
        return frame[IP]
    if IPv6 in frame:
        return frame[IPv6]
    return None


def flow_of(ip):
    """Direction-free 5-tuple, and whether this packet goes client to server."""
    sport = getattr(ip.payload, "sport", 0)
    dport = getattr(ip.payload, "dport", 0)
    return (ip.src, sport), (ip.dst, dport), ip.payload.__class__.__name__


class Directions:
    """The first packet of a conversation comes from its client."""

    def __init__(self):
        self.clients = {}

    def uplink(self, ip):
        a, b, proto = flow_of(ip)
        key = (min(a, b), max(a, b), proto)
        client = self.clients.setdefault(key, a)
        return client == a


def eth(payload_type=None):
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def outer_ip(up, six=False, **kw):
    pair = OUTER6 if six else OUTER4
    src, dst = (pair[0], pair[1]) if up else (pair[1], pair[0])
    return (IPv6(src=src, dst=dst, **kw) if six else IP(src=src, dst=dst, **kw))


def ip_ethertype(ip):
    return 0x0800 if ip.version == 4 else 0x86DD


def inner_ether(ip):
    return Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02", type=ip_ethertype(ip)) / ip


def erspan2(session, index):
    word0 = (1 << 28) | (0 << 16) | (session & 0x3FF)  # version 1, VLAN 0, session id
    return struct.pack("!II", word0, index & 0xFFFFF)


def erspan3(session, timestamp, subheader):
    word0 = (2 << 28) | (session & 0x3FF)                  # version 2
    # SGT 0, P 0, frame type 0 (Ethernet), hardware id 5, D 0, granularity 3, O flag
    word2 = (0 << 16) | (0 << 15) | (0 << 10) | (5 << 4) | (0 << 3) | (3 << 1) | int(subheader)
    head = struct.pack("!III", word0, timestamp & 0xFFFFFFFF, word2)
    return head + (struct.pack("!II", (3 << 26) | 0x1234, 0xCAFE) if subheader else b"")


def gtpu(teid, payload):
    # Version 1, PT 1, E 1: sequence/N-PDU/next-extension word, then one PDU session
    # container extension header (type 0x85, 4 bytes) and the end of the chain.
    ext = bytes([1, 0x10, 0x09, 0x00])  # length 1 (4 bytes), QFI 9, next type 0
    body = struct.pack("!HBB", 0, 0, 0x85) + ext + payload
    return struct.pack("!BBHI", 0x34, 0xFF, len(body), teid) + body


PBB_ISID = 0x012345
GRE_UDP_KEY = 99
VXLAN_VNI = 4242
# LINKTYPE_LINUX_SLL2 and LINKTYPE_NFLOG
LINKTYPES = {"sll2": 276, "nflog": 239, "nflog6": 239, "nflog-frag": 239}


def sll2(ip, up):
    # Protocol type, reserved, interface index, ARPHRD_ETHER, packet type (4 outgoing,
    # 0 to us), address length, the sender's MAC padded to 8 bytes.
    mac = bytes.fromhex("020000000001" if up else "020000000002") + b"\0\0"
    return struct.pack("!HHIHBB", ip_ethertype(ip), 0, 3, 1, 4 if up else 0, 6) + mac + bytes(ip)


def nflog_tlv(kind, value):
    # Length (header included) and type in the capturing host's byte order: little-endian,
    # as an x86 host writes them; padded to 4 bytes.
    body = struct.pack("<HH", 4 + len(value), kind) + value
    return body + b"\0" * (-len(body) % 4)


def nflog(ip, seq):
    family = 2 if ip.version == 4 else 10
    tlvs = (nflog_tlv(1, struct.pack("!HBB", ip_ethertype(ip), 1, 0))      # packet header
            + nflog_tlv(10, b"ottscope\0")                                 # prefix
            + nflog_tlv(4, struct.pack("!I", 3))                           # in-interface
            + nflog_tlv(9, bytes(ip))                                      # payload
            + nflog_tlv(11, struct.pack("!I", seq)))                       # uid
    return struct.pack("!BBH", family, 0, 42) + tlvs


TEREDO_CLIENT_PORT = 40000


def teredo(ip, up, name):
    head = b""
    if name == "teredo-auth":
        client_id, auth = b"client", b"\x11" * 4
        head += (struct.pack("!HBB", 1, len(client_id), len(auth)) + client_id + auth
                 + bytes(range(8)) + b"\0")
    if name in ("teredo-origin", "teredo-auth") and not up:
        # Port and IPv4 address of the client's mapping, each bit inverted.
        port = TEREDO_CLIENT_PORT ^ 0xFFFF
        addr = bytes(b ^ 0xFF for b in bytes([192, 0, 2, 1]))
        head += struct.pack("!HH", 0, port) + addr
    sport, dport = (TEREDO_CLIENT_PORT, 3544) if up else (3544, TEREDO_CLIENT_PORT)
    return eth() / outer_ip(up) / UDP(sport=sport, dport=dport) / Raw(head + bytes(ip))


def wrap(name, ip, up, seq):
    raw = bytes(ip)
    if name == "sll2":
        return Raw(sll2(ip, up))
    if name in ("nflog", "nflog6"):
        return Raw(nflog(ip, seq))
    if name == "pbb":
        # B-VLAN 30, I-TAG (priority 0, I-SID), customer frame with C-VLAN 100.
        itag = struct.pack("!I", PBB_ISID)
        return (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02", type=0x88A8)
                / Dot1Q(vlan=30, type=0x88E7) / Raw(itag)
                / Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02", type=0x8100)
                / Dot1Q(vlan=100, type=ip_ethertype(ip)) / ip)
    if name == "gre-udp":
        # RFC 8086: the source port is flow entropy, the destination port always 4754.
        g = GRE(key_present=1, key=GRE_UDP_KEY, proto=ip_ethertype(ip))
        return eth() / outer_ip(up) / UDP(sport=49152 + seq % 7, dport=4754) / g / Raw(raw)
    if name in ("vxlan-rsv", "vxlan-gbp"):
        if name == "vxlan-rsv":   # every reserved bit set, the I flag too
            vx = struct.pack("!II", 0xFFABCDEF, (VXLAN_VNI << 8) | 0x5A)
        else:                     # G flag, D and A bits, group policy id 0x1234
            vx = struct.pack("!BBHI", 0x88, 0x48, 0x1234, VXLAN_VNI << 8)
        return (eth() / outer_ip(up) / UDP(sport=49152 + seq % 1000, dport=4789)
                / Raw(vx + bytes(inner_ether(ip))))
    if name.startswith("teredo"):
        return teredo(ip, up, name)
    if name == "vlan":
        return eth() / Dot1Q(vlan=100, type=ip_ethertype(ip)) / ip
    if name == "qinq":
        return (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02", type=0x88A8)
                / Dot1Q(vlan=10, type=0x8100) / Dot1Q(vlan=20, type=ip_ethertype(ip)) / ip)
    if name == "mpls":
        return (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02", type=0x8847)
                / MPLS(label=100, s=0, ttl=64) / MPLS(label=200, s=1, ttl=64) / Raw(raw))
    if name == "mpls-pw":
        return (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02", type=0x8847)
                / MPLS(label=300, s=1, ttl=64) / Raw(struct.pack("!I", seq & 0xFFFF))
                / inner_ether(ip))
    if name == "pppoe":
        return (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02", type=0x8864)
                / PPPoE(sessionid=7) / PPP(proto=0x21 if ip.version == 4 else 0x57) / Raw(raw))
    if name in ("gre", "gre6"):
        g = GRE(chksum_present=1, key_present=1, seqnum_present=1, key=77, seqence_number=seq,
                proto=ip_ethertype(ip))
        return eth() / outer_ip(up, six=name == "gre6") / g / Raw(raw)
    if name == "gre-eth":
        return eth() / outer_ip(up) / GRE(key_present=1, key=5, proto=0x6558) / inner_ether(ip)
    if name == "erspan2":
        return (eth() / outer_ip(up) / GRE(seqnum_present=1, seqence_number=seq, proto=0x88BE)
                / Raw(erspan2(33, seq)) / inner_ether(ip))
    if name == "erspan3":
        return (eth() / outer_ip(up) / GRE(seqnum_present=1, seqence_number=seq, proto=0x22EB)
                / Raw(erspan3(44, seq * 1000, subheader=seq % 2 == 0)) / inner_ether(ip))
    if name == "vxlan":
        vx = struct.pack("!II", 0x08000000, 4242 << 8)
        return (eth() / outer_ip(up) / UDP(sport=49152 + seq % 1000, dport=4789)
                / Raw(vx + bytes(inner_ether(ip))))
    if name in ("gtpu", "gtpu6"):
        teid = TEID_UP if up else TEID_DOWN
        return (eth() / outer_ip(up, six=name == "gtpu6") / UDP(sport=2152, dport=2152)
                / Raw(gtpu(teid, raw)))
    raise ValueError(name)


def fragments(ip, seq):
    if len(ip) <= MTU_PAYLOAD + 60:
        return [ip]
    if ip.version == 4:
        ip = ip.copy()
        ip.id = (seq * 7 + 1) & 0xFFFF
        parts = fragment(ip, fragsize=MTU_PAYLOAD)
    else:
        plen = ip.plen
        inner = ip.copy()
        inner.nh = 44
        frag_hdr = IPv6ExtHdrFragment(nh=ip.nh, id=seq * 7 + 1)
        inner.remove_payload()
        inner.add_payload(frag_hdr / ip.payload.copy())
        del inner.plen
        parts = fragment6(inner, MTU_PAYLOAD + 40 + 8)
    return list(reversed(parts)) if seq % 2 else parts


def to_ipv6(ip):
    if ip.version == 6:
        return ip
    payload = ip.payload.copy()
    if hasattr(payload, "chksum"):
        del payload.chksum
    return IPv6(src="64:ff9b::" + ip.src, dst="64:ff9b::" + ip.dst, nh=ip.proto,
                hlim=ip.ttl) / payload


NAMES = ["vlan", "qinq", "mpls", "mpls-pw", "pppoe", "gre", "gre6", "gre-eth", "erspan2",
         "erspan3", "vxlan", "gtpu", "gtpu6", "frag", "ipv6", "ipv6-frag", "frag-lossy",
         "gtpu-frag", "sll2", "nflog", "nflog6", "pbb", "gre-udp", "vxlan-rsv", "vxlan-gbp",
         "teredo", "teredo-origin", "teredo-auth", "nflog-frag"]
SIX = ("ipv6", "nflog6", "teredo")   # names that wrap the IPv6 rewrite


def main():
    source, out_dir = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or NAMES
    frames = rdpcap(source)
    for name in names:
        directions = Directions()
        written = []
        for seq, frame in enumerate(frames):
            ip = inner_ip(frame)
            if ip is None:
                written.append(frame)
                continue
            ip = ip.copy()
            if name.startswith(SIX):
                ip = IPv6(bytes(to_ipv6(ip)))
            if name == "ipv6":
                f = eth() / ip
                f.time = frame.time
                written.append(f)
                continue
            if name in ("gtpu-frag", "nflog-frag"):
                # The subscriber's packets fragmented inside the tunnel (an MTU squeezed by
                # the GTP-U overhead), each fragment its own G-PDU; or fragments logged by an
                # NFLOG rule placed before the kernel reassembles them.
                for part in fragments(ip, seq):
                    f = wrap(name[:-5], part, directions.uplink(ip), seq)
                    f.time = frame.time
                    written.append(f)
                continue
            if "frag" in name:
                parts = fragments(ip, seq)
                if name == "frag-lossy" and len(parts) > 1:
                    if seq % 3 == 0:
                        parts = parts[:-1] if seq % 2 == 0 else parts[1:]
                    elif seq % 5 == 0:
                        parts = parts + parts[:1]
                for part in parts:
                    f = eth() / part
                    f.time = frame.time
                    written.append(f)
                continue
            f = wrap(name, ip, directions.uplink(ip), seq)
            f.time = frame.time
            written.append(f)
        if name in LINKTYPES:   # a link type of its own: frames that are not IP have no place
            written = [f for f in written if not isinstance(f, Ether)]
        wrpcap(f"{out_dir}/{name}.pcap", written, linktype=LINKTYPES.get(name))


if __name__ == "__main__":
    main()
