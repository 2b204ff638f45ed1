#!/usr/bin/python3
"""Compares the inner flows of a capture as tshark decodes them with ottscope's records of it:

    /usr/bin/python3 tests/dataplane/inner_flows_vs_tshark.py CAPTURE.pcap RECORDS.jsonl

Each flow is (protocol, unordered endpoint pair) of the innermost IP header and its TCP/UDP
ports (tshark lists outer values first, so the last one of each field is taken). Prints
"same" or the flows only one side has. A cross-check by hand for the captures written by
encapsulate.py; tshark is not needed by the test suite.
"""
import json, subprocess, sys, ipaddress
def tshark_flows(path):
    out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-E", "separator=|",
        "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "ip.proto", "-e", "ipv6.nxt",
        "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport"],
        capture_output=True, text=True).stdout
    flows = set()
    for line in out.splitlines():
        f = [x.split(",")[-1] for x in line.split("|")]
        src, dst = (f[2], f[3]) if f[2] else (f[0], f[1])
        proto = "TCP" if f[6] else "UDP"
        sp, dp = (f[6], f[7]) if f[6] else (f[8], f[9])
        a, b = (str(ipaddress.ip_address(src)), sp), (str(ipaddress.ip_address(dst)), dp)
        flows.add((proto,) + tuple(sorted([a, b])))
    return flows
def our_flows(path):
    flows = set()
    for line in open(path):
        r = json.loads(line)
        a = (str(ipaddress.ip_address(r["src_ip"])), str(r["src_port"]))
        b = (str(ipaddress.ip_address(r["dst_ip"])), str(r["dst_port"]))
        flows.add((r["proto"],) + tuple(sorted([a, b])))
    return flows
pcap, records = sys.argv[1], sys.argv[2]
t, o = tshark_flows(pcap), our_flows(records)
print(pcap, "tshark", len(t), "ottscope", len(o), "same" if t == o else f"DIFF {t ^ o}")
