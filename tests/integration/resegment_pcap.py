#!/usr/bin/python3
"""Rewrites a capture so that no TCP segment carries more than MAX payload bytes (default
1400), splitting larger ones into consecutive segments with their sequence numbers adjusted.
Captures taken on veth/loopback hold offloaded super-segments that the pcap vdev cannot
replay in --loop mode (one mbuf per frame); the TCP streams stay byte-for-byte the same.

usage: resegment_pcap.py IN.pcap OUT.pcap [MAX]"""
import sys

from scapy.all import IP, IPv6, TCP, rdpcap, wrpcap


def main():
    source, target = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 1400
    out = []
    for packet in rdpcap(source):
        if TCP not in packet or len(bytes(packet[TCP].payload)) <= limit:
            out.append(packet)
            continue
        payload = bytes(packet[TCP].payload)
        for at in range(0, len(payload), limit):
            piece = packet.copy()
            piece[TCP].remove_payload()
            piece[TCP].seq = (packet[TCP].seq + at) & 0xFFFFFFFF
            piece[TCP].add_payload(payload[at:at + limit])
            del piece[TCP].chksum
            if IP in piece:
                del piece[IP].len
                del piece[IP].chksum
            if IPv6 in piece:
                del piece[IPv6].plen
            piece.time = packet.time
            piece.wirelen = None  # the original length was that of the whole segment
            out.append(piece)
    wrpcap(target, out)


if __name__ == "__main__":
    main()
