#!/usr/bin/python3
"""Writes the TLS prologue fuzzer's seed corpus (tests/fuzz/corpus/tls_prologue/) from the
TCP flows of tests/classifiers/tls/prologue/prologue.pcap (real peers: STARTTLS, CONNECT,
SOCKS 5, refusals) plus hand-made SOCKS 4 and 5 exchanges:

    /usr/bin/python3 tests/fuzz/make_tls_prologue_seeds.py

Seed format (see tls_prologue_fuzzer.cpp): segment size - 1, the forced dialogue (0: none),
then turns [direction << 7 | length >> 8][length & 0xff][bytes], in capture order, each
flow cut to its first 6 KiB.
"""

import os

from scapy.all import IP, TCP, rdpcap

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = os.path.join(root, "tests/fuzz/corpus/tls_prologue")
os.makedirs(out, exist_ok=True)
SERVER = "10.78.0.2"


def turn(direction, data):
    return bytes([direction << 7 | len(data) >> 8, len(data) & 0xff]) + data


flows = {}
for packet in rdpcap(os.path.join(root, "tests/classifiers/tls/prologue/prologue.pcap")):
    if IP not in packet or TCP not in packet:
        continue
    to_server = packet[IP].dst == SERVER
    key = (packet[TCP].sport, packet[TCP].dport) if to_server else (packet[TCP].dport,
                                                                     packet[TCP].sport)
    payload = bytes(packet[TCP].payload)
    flows.setdefault(key, [])
    if payload:
        flows[key].append((0 if to_server else 1, payload))

for (client_port, server_port), turns in sorted(flows.items()):
    body = b""
    for direction, payload in turns:
        if len(body) > 6144:
            break
        body += turn(direction, payload[:0x7fff])
    with open(os.path.join(out, "peers-%d-%d" % (server_port, client_port)), "wb") as f:
        f.write(bytes([255, 0]) + body)

hello = bytes([22, 3, 1, 0, 4, 1, 0, 0, 0])
hand_made = {
    "socks4": [(0, bytes([4, 1, 1, 0xbb, 192, 0, 2, 10, ord("u"), 0])),
               (1, bytes([0, 0x5a, 0, 0, 0, 0, 0, 0])), (0, hello)],
    "socks5-auth": [(0, bytes([5, 2, 0, 2])), (1, bytes([5, 2])),
                    (0, bytes([1, 1, ord("u"), 1, ord("p")])), (1, bytes([1, 0])),
                    (0, bytes([5, 1, 0, 3, 5]) + b"a.org" + bytes([1, 0xbb])),
                    (1, bytes([5, 0, 0, 1, 10, 0, 0, 1, 0x1f, 0x90])), (0, hello)],
}
for forced, (name, turns) in enumerate(sorted(hand_made.items()), start=6):
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([3, forced]) + b"".join(turn(d, p) for d, p in turns))
