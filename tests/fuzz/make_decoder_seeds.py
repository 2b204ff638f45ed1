#!/usr/bin/python3
"""Writes the decoder fuzzer's seed corpus (tests/fuzz/corpus/decoder/) from the demo
capture wrapped in every encapsulation by tests/dataplane/encapsulate.py:

    /usr/bin/python3 tests/fuzz/make_decoder_seeds.py

Each seed is one byte of link type (0: Ethernet) and one frame: a TCP SYN and the first
frame over 200 bytes of each encapsulation (fragments included). Stdlib plus scapy.
"""

import os
import struct
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = os.path.join(root, "tests/fuzz/corpus/decoder")


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    at = 24
    while at + 16 <= len(data):
        _, _, captured, _ = struct.unpack(endian + "IIII", data[at:at + 16])
        yield data[at + 16:at + 16 + captured]
        at += 16 + captured


with tempfile.TemporaryDirectory() as work:
    subprocess.run([sys.executable, os.path.join(root, "tests/dataplane/encapsulate.py"),
                    os.path.join(root, "config/demo/tume-demo.pcap"), work], check=True)
    os.makedirs(out, exist_ok=True)
    for name in sorted(os.listdir(work)):
        picked = list(frames(os.path.join(work, name)))
        chosen = [picked[2]] + [f for f in picked if len(f) > 200][:1]
        for i, frame in enumerate(chosen):
            with open(os.path.join(out, f"{name[:-5]}-{i}"), "wb") as f:
                f.write(b"\x00" + frame)
