#!/usr/bin/python3
"""Writes TCP-hostile variants of a capture, for the stream reassembly integration test.

    tcp_variants.py INPUT.pcap OUTDIR

OUTDIR/reordered.pcap     within each TCP flow direction, consecutive data segments swapped
                          pairwise (the second of a pair arrives first)
OUTDIR/retransmitted.pcap every TCP data segment sent twice, the copy right after it
OUTDIR/resegmented.pcap   every TCP data segment cut into 64-byte pieces that each reach
                          16 bytes back into the previous one (overlaps with identical bytes)

Timestamps stay where they were in the capture (a moved packet takes the time of the slot it
lands in), so every variant is still in time order. Prints one line per variant: name and
packet count. Deterministic: no randomness.
"""

import os
import sys

from scapy.all import IP, TCP, IPv6, Raw, rdpcap, wrpcap  # noqa: F401 (IPv6 used by name)

PIECE = 64
REACH_BACK = 16


def tcp_data(packet):
    return TCP in packet and len(bytes(packet[TCP].payload)) > 0


def direction_key(packet):
    ip = packet[IP] if IP in packet else packet[IPv6]
    return (ip.src, ip.dst, packet[TCP].sport, packet[TCP].dport)


def rebuilt(packet):
    """Forces lengths and checksums to be computed again after the payload changed."""
    ip = packet[IP] if IP in packet else packet[IPv6]
    if IP in packet:
        del ip.len
        del ip.chksum
    else:
        del ip.plen
    del packet[TCP].chksum
    return packet.__class__(bytes(packet))


def reordered(packets):
    out = list(packets)
    pending = {}  # direction -> index of a data segment waiting for its partner
    for index, packet in enumerate(packets):
        if not tcp_data(packet):
            continue
        key = direction_key(packet)
        if key in pending:
            first = pending.pop(key)
            out[first], out[index] = packets[index].copy(), packets[first].copy()
            out[first].time, out[index].time = packets[first].time, packets[index].time
        else:
            pending[key] = index
    return out


def retransmitted(packets):
    out = []
    for packet in packets:
        out.append(packet)
        if tcp_data(packet):
            out.append(packet.copy())
    return out


def resegmented(packets):
    out = []
    for packet in packets:
        if not tcp_data(packet):
            out.append(packet)
            continue
        payload = bytes(packet[TCP].payload)
        seq = packet[TCP].seq
        start = 0
        while start < len(payload):
            begin = max(0, start - REACH_BACK)
            end = min(len(payload), start + PIECE)
            piece = packet.copy()
            piece[TCP].remove_payload()
            piece[TCP].add_payload(Raw(payload[begin:end]))
            piece[TCP].seq = (seq + begin) & 0xFFFFFFFF
            if end < len(payload):
                piece[TCP].flags = piece[TCP].flags & ~0x09  # FIN and PSH on the last piece only
            piece = rebuilt(piece)
            piece.time = packet.time
            out.append(piece)
            start = end
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: tcp_variants.py INPUT.pcap OUTDIR")
    packets = rdpcap(sys.argv[1])
    os.makedirs(sys.argv[2], exist_ok=True)
    for name, make in (("reordered", reordered), ("retransmitted", retransmitted),
                       ("resegmented", resegmented)):
        variant = make(packets)
        wrpcap(os.path.join(sys.argv[2], name + ".pcap"), variant)
        print(name, len(variant))


if __name__ == "__main__":
    main()
