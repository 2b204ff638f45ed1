#!/usr/bin/python3
"""Writes the seeds of the `quic` fuzz target (tests/fuzz/quic_fuzzer.cpp) into
tests/fuzz/corpus/quic: each UDP flow of the committed QUIC captures as datagram records
(mode 0), and decrypted Initial payloads built with make_quic_crafted.py's ClientHello
(mode 1: CRYPTO frames out of order, overlapping, with PING, ACK, PADDING, and the T05x
CRYPTO frame type).
    tests/fuzz/make_quic_seeds.py
"""
import os
import struct
import sys

from scapy.all import UDP, rdpcap

ROOT = os.path.dirname(os.path.abspath(__file__))
CAPTURES = os.path.join(ROOT, "..", "classifiers", "tls", "quic_captures")
sys.path.insert(0, CAPTURES)
import make_quic_crafted as crafted  # noqa: E402


def record(direction, data):
    return bytes([direction]) + struct.pack(">H", len(data)) + data


def main():
    out = os.path.join(ROOT, "corpus", "quic")
    os.makedirs(out, exist_ok=True)
    count = 0
    for name in sorted(os.listdir(CAPTURES)):
        if not name.endswith(".pcap"):
            continue
        flows = {}
        for packet in rdpcap(os.path.join(CAPTURES, name)):
            if UDP not in packet:
                continue
            udp = packet[UDP]
            client = udp.dport in (443, 8443)
            key = udp.sport if client else udp.dport
            flows.setdefault(key, []).append(record(0 if client else 1, bytes(udp.payload)))
        for key, records in sorted(flows.items()):
            with open(os.path.join(out, "%s-%d" % (name[:-5], key)), "wb") as f:
                f.write(b"\x00" + b"".join(records[:6]))
            count += 1
    hello = crafted.client_hello("seed.example.test", ["h3", "hq-interop"], padding_share=300)
    pieces = [(400, len(hello)), (0, 250), (200, 420)]
    frames = [b"\x01" + crafted.crypto_frame(a, hello[a:b]) + bytes(8) for a, b in pieces]
    frames[1] = b"\x02\x05\x00\x01\x00\x00\x00" + frames[1]
    with open(os.path.join(out, "plaintext-out-of-order"), "wb") as f:
        f.write(b"\x01" + b"".join(record(0, p) for p in frames))
    t05 = b"\x08" + crafted.crypto_frame(0, hello)[1:]
    with open(os.path.join(out, "plaintext-t05x"), "wb") as f:
        f.write(b"\x01" + record(1, t05 + b"\x1c\x00\x00\x01x"))
    print("wrote %d capture seeds and 2 plaintext seeds to %s" % (count, out))


if __name__ == "__main__":
    main()
