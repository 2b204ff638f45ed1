#!/usr/bin/python3
"""Writes quic-crafted.pcap: QUIC client Initials built here from the RFCs (scapy for the
frames, python3-cryptography for the packet protection), for what real peers do not show on
demand. One UDP flow per case, each from its own client port to 10.79.0.2:443:

  40001  v1, a 3 KB ClientHello (SNI multi.example.test) in CRYPTO frames over three
         Initials sent out of order, with overlapping ranges, PING and ACK frames
  40002  v2 (RFC 9369), a ClientHello (SNI v2.example.test) over two Initials, each
         datagram with a Handshake packet coalesced after the Initial
  40003  Retry: the first Initial (DCID A) carries only the start of the ClientHello; the
         server answers with a Retry; the client starts over with DCID B (new keys) and sends
         the whole ClientHello (SNI retry.example.test) in two Initials
  40004  an unknown version (0x12345678) answered by Version Negotiation: no facts
  40005  garbage on UDP 443: no facts
  40006  short-header packets only (a capture that starts mid-connection): no facts
  40007  gQUIC Q050 long header: no facts

Deterministic: fixed connection IDs, randoms and times.
    tests/classifiers/tls/quic_captures/make_quic_crafted.py OUT.pcap
"""
import hashlib
import hmac
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from scapy.all import IP, UDP, Ether, wrpcap

SALTS = {
    0x00000001: bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a"),
    0x6B3343CF: bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9"),
}
CLIENT, SERVER = "10.79.0.1", "10.79.0.2"


def expand_label(secret, label, length):
    full = b"tls13 " + label
    info = struct.pack(">HB", length, len(full)) + full + b"\x00"
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def client_keys(version, dcid):
    initial = hmac.new(SALTS[version], dcid, hashlib.sha256).digest()
    client = expand_label(initial, b"client in", 32)
    prefix = b"quicv2 " if version == 0x6B3343CF else b"quic "
    return (expand_label(client, prefix + b"key", 16), expand_label(client, prefix + b"iv", 12),
            expand_label(client, prefix + b"hp", 16))


def varint(value):
    if value < 0x40:
        return bytes([value])
    if value < 0x4000:
        return struct.pack(">H", 0x4000 | value)
    return struct.pack(">I", 0x80000000 | value)


def crypto_frame(offset, data):
    return b"\x06" + varint(offset) + varint(len(data)) + data


def long_type_bits(version, kind):
    v1 = {"initial": 0, "0rtt": 1, "handshake": 2, "retry": 3}
    v2 = {"initial": 1, "0rtt": 2, "handshake": 3, "retry": 0}
    return (v2 if version == 0x6B3343CF else v1)[kind]


def initial_packet(version, dcid, scid, pn, frames, pad_to=0):
    """A protected client Initial (4-byte packet number) padded to `pad_to` bytes."""
    key, iv, hp = client_keys(version, dcid)
    first = 0xC0 | long_type_bits(version, "initial") << 4 | 0x03
    head = (bytes([first]) + struct.pack(">I", version) + bytes([len(dcid)]) + dcid +
            bytes([len(scid)]) + scid + varint(0))
    payload = frames
    length = 4 + len(payload) + 16
    if pad_to:
        # Length is a 2-byte varint here: header + 2 + length = pad_to.
        extra = pad_to - (len(head) + 2 + length)
        if extra > 0:
            payload += bytes(extra)
            length += extra
    header = head + struct.pack(">H", 0x4000 | length) + struct.pack(">I", pn)
    nonce = bytearray(iv)
    for i in range(8):
        nonce[11 - i] ^= (pn >> (8 * i)) & 0xFF
    sealed = AESGCM(key).encrypt(bytes(nonce), payload, header)
    pn_offset = len(header) - 4
    sample = sealed[4 - 4:4 - 4 + 16]  # sample starts 4 bytes after the packet number
    mask = Cipher(algorithms.AES(hp), modes.ECB()).encryptor().update(sample)
    protected = bytearray(header)
    protected[0] ^= mask[0] & 0x0F
    for i in range(4):
        protected[pn_offset + i] ^= mask[1 + i]
    return bytes(protected) + sealed


def handshake_packet(version, dcid, scid, body_length=40):
    first = 0xC0 | long_type_bits(version, "handshake") << 4 | 0x03
    return (bytes([first]) + struct.pack(">I", version) + bytes([len(dcid)]) + dcid +
            bytes([len(scid)]) + scid + struct.pack(">H", 0x4000 | body_length) +
            bytes([0x5A]) * body_length)


def extension(kind, body):
    return struct.pack(">HH", kind, len(body)) + body


def client_hello(sni, alpn, padding_share=0):
    """A TLS 1.3 ClientHello handshake message (type and 3-byte length included)."""
    name = sni.encode()
    ext = extension(0, struct.pack(">HBH", len(name) + 3, 0, len(name)) + name)
    ext += extension(10, struct.pack(">H", 6) + bytes.fromhex("001d00170018"))
    ext += extension(13, struct.pack(">H", 8) + bytes.fromhex("0403080404010503"))
    protocols = b"".join(bytes([len(p)]) + p.encode() for p in alpn)
    ext += extension(16, struct.pack(">H", len(protocols)) + protocols)
    ext += extension(43, bytes.fromhex("020304"))
    shares = struct.pack(">HH", 0x001D, 32) + bytes(range(32))
    if padding_share:
        # A big share of a private-use group makes the hello span several packets.
        shares += struct.pack(">HH", 0xFE00, padding_share) + bytes([0x77]) * padding_share
    ext += extension(51, struct.pack(">H", len(shares)) + shares)
    ext += extension(45, bytes.fromhex("0101"))
    ext += extension(57, bytes.fromhex("0104800075300504800f4240"))
    body = (b"\x03\x03" + bytes([0x42]) * 32 + b"\x00" +
            struct.pack(">H", 6) + bytes.fromhex("130113021303") + b"\x01\x00" +
            struct.pack(">H", len(ext)) + ext)
    return b"\x01" + struct.pack(">I", len(body))[1:] + body


class Capture:
    def __init__(self):
        self.packets = []
        self.time = 1700000000.0

    def add(self, sport, payload, from_client=True):
        self.time += 0.001
        if from_client:
            frame = Ether() / IP(src=CLIENT, dst=SERVER) / UDP(sport=sport, dport=443) / payload
        else:
            frame = Ether() / IP(src=SERVER, dst=CLIENT) / UDP(sport=443, dport=sport) / payload
        frame.time = self.time
        self.packets.append(frame)


def main(out):
    cap = Capture()
    scid = bytes.fromhex("c1c2c3c4")

    # 40001: out of order, overlapping, three packets.
    hello = client_hello("multi.example.test", ["h3", "hq-interop"], padding_share=2600)
    dcid = bytes.fromhex("0001020304050607")
    cuts = [(0, 1100), (1000, 2150), (2100, len(hello))]
    order = [2, 0, 1]
    for pn, i in enumerate(order):
        start, end = cuts[i]
        frames = b"\x01" + crypto_frame(start, hello[start:end])
        if pn == 1:
            frames = b"\x02\x00\x00\x00\x00" + frames  # ACK largest 0
        cap.add(40001, initial_packet(1, dcid, scid, pn, frames, pad_to=1250))

    # 40002: v2, two packets, a Handshake packet coalesced behind each Initial.
    v2 = 0x6B3343CF
    hello = client_hello("v2.example.test", ["h3"], padding_share=900)
    dcid = bytes.fromhex("1011121314151617")
    half = 700
    for pn, (start, end) in enumerate([(0, half), (half, len(hello))]):
        datagram = initial_packet(v2, dcid, scid, pn, crypto_frame(start, hello[start:end]),
                                  pad_to=1200)
        cap.add(40002, datagram + handshake_packet(v2, dcid, scid))

    # 40003: Retry, then the whole hello again under the new DCID's keys.
    hello = client_hello("retry.example.test", ["h3"], padding_share=900)
    first_dcid = bytes.fromhex("2021222324252627")
    cap.add(40003, initial_packet(1, first_dcid, scid, 0, crypto_frame(0, hello[:800]),
                                  pad_to=1200))
    new_dcid = bytes.fromhex("d0d1d2d3d4d5d6d7d8")
    retry = (bytes([0xF0]) + struct.pack(">I", 1) + bytes([len(scid)]) + scid +
             bytes([len(new_dcid)]) + new_dcid + b"retry-token-0123" + bytes(16))
    cap.add(40003, retry, from_client=False)
    for pn, (start, end) in enumerate([(0, 800), (800, len(hello))], start=1):
        cap.add(40003, initial_packet(1, new_dcid, scid, pn, crypto_frame(start, hello[start:end]),
                                      pad_to=1200))

    # 40004: an unknown version, then Version Negotiation.
    unknown = (bytes([0xC3]) + struct.pack(">I", 0x12345678) + bytes([8]) + dcid +
               bytes([4]) + scid + bytes(1160))
    cap.add(40004, unknown)
    cap.add(40004, bytes([0x80]) + bytes(4) + bytes([4]) + scid + bytes([8]) + dcid +
            struct.pack(">I", 1), from_client=False)

    # 40005: garbage; 40006: short headers; 40007: gQUIC Q050.
    for i in range(3):
        cap.add(40005, bytes((i * 37 + j * 11) & 0xFF for j in range(1200)))
        cap.add(40006, bytes([0x43]) + dcid + bytes((j * 13) & 0xFF for j in range(1100)))
    q050 = (bytes([0xC3]) + b"Q050" + bytes([0x50]) + dcid + bytes(1180))
    cap.add(40007, q050)
    cap.add(40007, q050)

    wrpcap(out, cap.packets)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "quic-crafted.pcap")
