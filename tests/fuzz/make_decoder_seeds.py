#!/usr/bin/python3
"""Writes the decoder fuzzer's seed corpus (tests/fuzz/corpus/decoder/) from the demo
capture wrapped in every encapsulation by tests/dataplane/encapsulate.py:

    /usr/bin/python3 tests/fuzz/make_decoder_seeds.py

Each seed is one byte of link type (its index in decoder_fuzzer.cpp's kLinks: 0 Ethernet,
6 LINUX_SLL2, 7 NFLOG) and one frame: a TCP SYN and the first frame over 200 bytes of each
encapsulation (fragments included). Stdlib plus scapy.
"""

import os
import struct
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = os.path.join(root, "tests/fuzz/corpus/decoder")


LINK_INDEX = {1: 0, 276: 6, 239: 7}   # pcap LINKTYPE -> index in the fuzzer's kLinks


def link_index(path):
    with open(path, "rb") as f:
        header = f.read(24)
    endian = "<" if header[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    return LINK_INDEX[struct.unpack(endian + "I", header[20:24])[0]]


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
        path = os.path.join(work, name)
        picked = list(frames(path))
        chosen = [picked[2]] + [f for f in picked if len(f) > 200][:1]
        for i, frame in enumerate(chosen):
            with open(os.path.join(out, f"{name[:-5]}-{i}"), "wb") as f:
                f.write(bytes([link_index(path)]) + frame)
