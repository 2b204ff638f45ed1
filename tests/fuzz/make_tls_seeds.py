#!/usr/bin/python3
"""Writes the TLS fuzzer's seed corpus (tests/fuzz/corpus/tls/) from the TCP 443 flows of
the demo capture (real OpenSSL handshakes made by our synthesizer):

    /usr/bin/python3 tests/fuzz/make_tls_seeds.py

Seed format (see tls_fuzzer.cpp): segment size - 1, client stream length (2 bytes, big
endian), the client's stream, the server's stream; each stream cut to its first 4 KiB.
"""

import os
import struct

from scapy.all import IP, TCP, rdpcap

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = os.path.join(root, "tests/fuzz/corpus/tls")
os.makedirs(out, exist_ok=True)

flows = {}
for packet in rdpcap(os.path.join(root, "config/demo/tume-demo.pcap")):
    if IP not in packet or TCP not in packet or 443 not in (packet[TCP].sport, packet[TCP].dport):
        continue
    client_port = packet[TCP].sport if packet[TCP].dport == 443 else packet[TCP].dport
    direction = 0 if packet[TCP].dport == 443 else 1
    payload = bytes(packet[TCP].payload)
    streams = flows.setdefault(client_port, [{}, {}])
    if payload:
        streams[direction].setdefault(packet[TCP].seq, payload)

for n, (port, streams) in enumerate(sorted(flows.items())):
    client, server = (b"".join(s[k] for k in sorted(s))[:4096] for s in streams)
    for segment in (255, 99):
        with open(os.path.join(out, f"demo-{n}-{segment}"), "wb") as f:
            f.write(bytes([segment]) + struct.pack(">H", len(client)) + client + server)
