#!/usr/bin/python3
"""Writes a capture of TCP connections that end in every way the flow table tells apart.

Each connection has its own client port, named after what it does:
  40001 handshake, request, response, FIN from both sides, last ACK   -> tcp_fin
  40002 handshake, request, RST from the server, a late client ACK     -> tcp_rst
  40003 a SYN that nobody answers                                      -> idle_timeout
  40004 SYN answered by RST/ACK (closed port, as a scan sees it)       -> tcp_rst
  40005 closed with FIN, then the port is reused at once by a new SYN  -> tcp_fin, tcp_fin
A DNS query 40 s later moves capture time past the embryonic timeout (20 s) and the linger
(10 s); it is still in the table at the end (shutdown).

  /usr/bin/python3 tests/integration/tcp_closes.py OUT.pcap
"""
import sys

from scapy.all import DNS, DNSQR, IP, TCP, UDP, Ether, Raw, wrpcap

CLIENT, SERVER = "100.64.20.1", "192.0.2.80"


def conversation(port, t, steps):
    """steps: (from_client, flags, payload) in order; sequence numbers follow the bytes."""
    packets, seq = [], {True: 1000, False: 5000}
    for i, (from_client, flags, payload) in enumerate(steps):
        src, dst = (CLIENT, SERVER) if from_client else (SERVER, CLIENT)
        sport, dport = (port, 80) if from_client else (80, port)
        ack = seq[not from_client] if "A" in flags else 0
        p = Ether(src="02:00:00:0a:00:01", dst="02:00:00:0b:00:01") / IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags=flags,
                                                   seq=seq[from_client], ack=ack)
        if payload:
            p = p / Raw(payload)
        p.time = t + i * 0.01
        packets.append(p)
        seq[from_client] += len(payload) + (1 if ("S" in flags or "F" in flags) else 0)
    return packets


REQUEST = b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
HANDSHAKE = [(True, "S", b""), (False, "SA", b""), (True, "A", b"")]
EXCHANGE = HANDSHAKE + [(True, "PA", REQUEST), (False, "PA", RESPONSE)]
CLOSE = [(True, "FA", b""), (False, "FA", b""), (True, "A", b"")]

t0 = 1767225600.0
packets = []
packets += conversation(40001, t0, EXCHANGE + CLOSE)
packets += conversation(40002, t0 + 1, EXCHANGE + [(False, "RA", b""), (True, "A", b"")])
packets += conversation(40003, t0 + 2, [(True, "S", b"")])
packets += conversation(40004, t0 + 3, [(True, "S", b""), (False, "RA", b"")])
packets += conversation(40005, t0 + 4, EXCHANGE + CLOSE)
packets += conversation(40005, t0 + 4.5, EXCHANGE + CLOSE)
dns = Ether(src="02:00:00:0a:00:01", dst="02:00:00:0b:00:01") / IP(src=CLIENT, dst="192.0.2.53") / UDP(sport=53000, dport=53) / DNS(
    rd=1, qd=DNSQR(qname="example.org"))
dns.time = t0 + 40
packets.append(dns)
packets.sort(key=lambda p: p.time)
wrpcap(sys.argv[1], packets)
