#!/usr/bin/env python3
"""bench.py's nDPI verdict comparison on inline text: ndpiReader -v 2 lines as 4.2 prints them
(VLAN, one-way flows, GTP, IPv6 through its patchIPv6Address), ottscope flow records, the
mkbench.py sidecar. No binary: runs in milliseconds. Then its RSS split (split_capture) on
small captures: the demo capture and frames made here (VLAN, QinQ, IPv6, a fragment, ARP)."""
import collections
import contextlib
import io
import ipaddress
import json
import os
import random
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

NDPI_READER_OUT = """\
Guessed flow protos:\t3

DPI Packets (TCP):\t21\t(7.00 pkts/flow)
TLS\t27\t19066\t1

\t1\tTCP 100.66.245.29:43195 <-> 198.18.219.17:443 [proto: 91.178/TLS.Amazon][Encrypted][Confidence: DPI][cat: Web/5][11 pkts/681 bytes <-> 8 pkts/12939 bytes]
\t2\tTCP [2001:db8::ff:6478:9b2f::1]:35609 <-> [2001:db8::53:c613:a688::1]:80 [VLAN: 1689][proto: 7.286/HTTP.TikTok][ClearText][Confidence: DPI][cat: SocialNetwork/6][9 pkts/818 bytes <-> 12 pkts/14077 bytes]
\t3\tUDP 10.0.0.1:2152 -> 10.0.0.2:53 [proto: GTP:5/DNS][ClearText][Confidence: DPI][cat: Network/14][1 pkts/90 bytes -> 0 pkts/0 bytes]
\t4\tTCP 100.122.234.17:53789 <-> 198.19.74.72:1494 [proto: 132/Citrix][Encrypted][Confidence: Match by port][cat: Network/14][38 pkts/2512 bytes <-> 71 pkts/102464 bytes]
\t5\tTCP 100.85.99.30:24854 <-> 198.18.106.213:11248 [proto: 0/Unknown][ClearText][Confidence: Unknown][22 pkts/1655 bytes <-> 38 pkts/53379 bytes]

Undetected flows:
"""


def record(src, sport, dst, dport, ndpi, packets=(1, 1), first=1.0, last=2.0, end="tcp_fin",
           proto="TCP", vlan=0, confidence="high", classifier="ndpi"):
    r = {"proto": proto, "src_ip": src, "src_port": sport, "dst_ip": dst, "dst_port": dport,
         "ndpi": ndpi, "classifier": classifier, "confidence": confidence,
         "pkts_c2s": packets[0], "pkts_s2c": packets[1], "first_seen": first, "last_seen": last,
         "end_reason": end}
    if vlan:
        r["vlan"] = vlan
    return json.dumps(r)


class AddressReadings(unittest.TestCase):
    def test_every_zero_group_patched_into_a_double_colon(self):
        self.assertEqual(bench.address_readings("[2001:db8::ff:6468:fbab::1]"),
                         ["2001:db8:0:ff:6468:fbab:0:1"])

    def test_one_double_colon_is_plain_ipv6(self):
        self.assertEqual(bench.address_readings("2001:db8::1"), ["2001:db8::1"])
        self.assertEqual(bench.address_readings("2001:db8::53:1:2:3:4"), ["2001:db8:0:53:1:2:3:4"])

    def test_a_longer_run_beside_a_patched_group_gives_both_readings(self):
        # 2001:db8:0:ff:6440:0:0:1 and 2001:db8:0:0:ff:6440:0:1 print alike.
        self.assertEqual(sorted(bench.address_readings("2001:db8::ff:6440::1")),
                         ["2001:db8:0:ff:6440::1", "2001:db8::ff:6440:0:1"])

    def test_ipv4_and_garbage_pass_through(self):
        self.assertEqual(bench.address_readings("10.0.0.1"), ["10.0.0.1"])
        self.assertEqual(bench.address_readings("302e::3d00::8001::1::2"), ["302e::3d00::8001::1::2"])


class NdpiReaderLines(unittest.TestCase):
    def test_flows_with_vlan_one_way_gtp_and_patched_ipv6(self):
        flows = bench.ndpi_reader_flows(NDPI_READER_OUT.splitlines())
        self.assertEqual([f.name for f in flows],
                         ["TLS.Amazon", "HTTP.TikTok", "DNS", "Citrix", "Unknown"])
        self.assertEqual(flows[0].ids, [("TCP", "0", "100.66.245.29#43195", "198.18.219.17#443")])
        self.assertEqual(flows[1].ids, [("TCP", "1689", "2001:db8:0:53:c613:a688:0:1#80",
                                         "2001:db8:0:ff:6478:9b2f:0:1#35609")])
        self.assertEqual((flows[2].packets, flows[3].confidence), (1, "Match by port"))


class Comparison(unittest.TestCase):
    def compare(self, records, kinds=None):
        expected = bench.ndpi_reader_flows(NDPI_READER_OUT.splitlines())
        return bench.VerdictComparison(expected, bench.ottscope_records(records), kinds or {})

    def test_same_names_split_flow_other_name_and_missing_flows(self):
        c = self.compare([
            # Split: a SYN that idled out, then the rest of the flow from the SYN-ACK on.
            record("100.66.245.29", 43195, "198.18.219.17", 443, "TLS", (1, 0), 3.1, 3.1,
                   "idle_timeout"),
            record("198.18.219.17", 443, "100.66.245.29", 43195, "TLS.Amazon", (11, 7), 29.5, 84.3),
            record("2001:db8:0:ff:6478:9b2f:0:1", 35609, "2001:db8:0:53:c613:a688:0:1", 80,
                   "HTTP.TikTok", (9, 12), vlan=1689),
            record("10.0.0.1", 2152, "10.0.0.2", 53, "DNS", (1, 0), proto="UDP"),
            record("100.122.234.17", 53789, "198.19.74.72", 1494, "Unknown", (38, 71)),
            record("192.0.2.1", 1000, "192.0.2.2", 2000, "Unknown"),  # ndpiReader has none
        ])  # flow 5 (Unknown in ndpiReader) has no record
        self.assertEqual((c.compared, c.records, c.same, c.single), (5, 6, 3, 2))
        self.assertEqual(c.pairs, {("Citrix", "Unknown"): 1, ("Unknown", None): 1})
        self.assertIn("guess", c.examples[("Citrix", "Unknown")][1])
        self.assertEqual(c.only_ndpi_reader, 1)
        self.assertEqual(c.only_ottscope, [("TCP", "0", "192.0.2.1#1000", "192.0.2.2#2000")])
        [(fid, _, name, own)] = c.splits
        self.assertEqual((name, [r["ndpi"] for r in own]), ("TLS.Amazon", ["TLS", "TLS.Amazon"]))
        why = bench.explain_split(own)
        self.assertIn("tcp_embryonic", why)
        self.assertIn("src is the server", why)
        self.assertEqual(c.confidence[("Match by port", "high")], 1)

    def test_kinds_from_the_sidecar_with_ipv6_written_out(self):
        sidecar = ["flow\tkind\tproto\tclient\tcport\tserver\tsport\tvlan\tname\tpackets\n",
                   "7032\thttp\ttcp\t2001:0db8:0000:00ff:6478:9b2f:0000:0001\t35609\t"
                   "2001:0db8:0000:0053:c613:a688:0000:0001\t80\t1689\twww.tiktok.com\t21\n"]
        c = self.compare([record("2001:db8:0:ff:6478:9b2f:0:1", 35609, "2001:db8:0:53:c613:a688:0:1",
                                 80, "HTTP.TikTok", vlan=1689)], bench.sidecar_kinds(sidecar))
        self.assertEqual(c.kinds["http"], [1, 1])
        self.assertEqual(c.kinds["(not in sidecar)"], [4, 0])

    def test_an_ambiguous_address_takes_the_reading_ottscope_has(self):
        line = ("\t1\tTCP [2001:db8::ff:6440::1]:1 <-> 10.0.0.2:2 [proto: 91/TLS][Confidence: DPI]"
                "[1 pkts/60 bytes <-> 1 pkts/60 bytes]")
        expected = bench.ndpi_reader_flows([line])
        self.assertEqual(len(expected[0].ids), 2)  # the reading it has is the second
        c = bench.VerdictComparison(expected, bench.ottscope_records(
            [record("2001:db8:0:ff:6440::1", 1, "10.0.0.2", 2, "TLS")]), {})
        self.assertEqual((c.same, c.only_ndpi_reader, c.only_ottscope), (1, 0, []))


# The Toeplitz verification suite of Microsoft's RSS specification: IPv4 and IPv6 address
# pairs (source, destination) and their hashes under its key.
MICROSOFT_KEY = bytes.fromhex("6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c"
                              "6a42b73bbeac01fa")
MICROSOFT_VECTORS = [
    ("66.9.149.187", "161.142.100.80", 0x323E8FC2),
    ("199.92.111.2", "65.69.140.83", 0xD718262A),
    ("24.19.198.95", "12.22.207.184", 0xD2D0A5DE),
    ("38.27.205.30", "209.142.163.6", 0x82989176),
    ("153.39.163.191", "202.188.127.2", 0x5D1809C5),
    ("3ffe:2501:200:1fff::7", "3ffe:2501:200:3::1", 0x2CC18CD5),
    ("3ffe:501:8::260:97ff:fe40:efab", "ff02::1", 0x0F0C461C),
    ("3ffe:1900:4545:3:200:f8ff:fe21:67cf", "fe80::200:f8ff:fe21:67cf", 0x4B61E985),
]
# DPDK's rte_softrss (rte_thash.h, 22.11) under kSymmetricRssKey over the same input as
# RTE_ETH_RSS_IP (addresses in host order: RTE_THASH_V4_L3_LEN words, or 8 for IPv6), taken
# once with a small C program: what the appliance's NICs compute.
DPDK_SOFTRSS_SYMMETRIC = [
    ("100.123.210.135", "198.19.156.149", 0x4FEA4FEA),
    ("10.0.0.1", "10.0.0.2", 0xADFBADFB),
    ("2001:db8:0:ff:6468:fbab:0:1", "2001:db8:0:53:c613:78b8:0:1", 0xBB43BB43),
]


def packed(a, b):
    return ipaddress.ip_address(a).packed + ipaddress.ip_address(b).packed


class Toeplitz(unittest.TestCase):
    def test_the_definition_against_microsofts_vectors(self):
        for a, b, expected in MICROSOFT_VECTORS:
            self.assertEqual(bench.toeplitz(MICROSOFT_KEY, packed(a, b)), expected, (a, b))

    def test_the_symmetric_key_as_dpdk_computes_it_both_ways(self):
        table = bench.rss_table()
        for a, b, expected in DPDK_SOFTRSS_SYMMETRIC:
            self.assertEqual(bench.toeplitz(bench.SYMMETRIC_RSS_KEY, packed(a, b)), expected)
            self.assertEqual(bench.rss_hash(table, packed(a, b)), expected)
            self.assertEqual(bench.rss_hash(table, packed(b, a)), expected)

    def test_the_word_table_is_the_definition(self):
        table = bench.rss_table()
        rng = random.Random(19)
        for size in [8] * 300 + [32] * 300:
            data = bytes(rng.randrange(256) for _ in range(size))
            self.assertEqual(bench.rss_hash(table, data),
                             bench.toeplitz(bench.SYMMETRIC_RSS_KEY, data), data.hex())

    def test_a_key_that_does_not_repeat_has_no_word_table(self):
        with self.assertRaises(ValueError):
            bench.rss_table(MICROSOFT_KEY)


def read_pcap(path):
    """The link type and the records (header and frame, as bytes) of a little-endian pcap."""
    with open(path, "rb") as f:
        data = f.read()
    link = struct.unpack("<I", data[20:24])[0]
    records, pos = [], 24
    while pos < len(data):
        length = struct.unpack("<IIII", data[pos:pos + 16])[2]
        records.append(data[pos:pos + 16 + length])
        pos += 16 + length
    return link, records


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", 1000 + i, 0, len(frame), len(frame)) + frame)


def ethernet(payload, kind, tags=()):
    header = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"
    for tpid, vid in tags:
        header += struct.pack("!HH", tpid, vid)
    return header + struct.pack("!H", kind) + payload


def ipv4(src, dst, fragment=0):
    return (struct.pack("!BBHHHBBH", 0x45, 0, 28, 7, fragment, 64, 17, 0) + packed(src, dst)
            + b"\x00" * 8)


def ipv6(src, dst):
    return struct.pack("!IHBB", 0x60000000, 8, 17, 64) + packed(src, dst) + b"\x00" * 8


class SplitCapture(unittest.TestCase):
    DEMO = os.path.join(bench.ROOT, "config", "demo", "tume-demo.pcap")

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def split(self, pcap, n):
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            paths = bench.split_capture(pcap, n, self.dir.name)
        self.assertIn(f"into {n} queues: queue 0 ", printed.getvalue())
        return paths, [read_pcap(p) for p in paths]

    def test_one_queue_is_the_capture_itself(self):
        self.assertEqual(bench.split_capture(self.DEMO, 1, self.dir.name), [self.DEMO])

    def test_demo_capture_every_packet_once_and_each_flow_in_one_file(self):
        _, source = read_pcap(self.DEMO)
        for n in (2, 3):
            paths, files = self.split(self.DEMO, n)
            self.assertEqual(len(paths), n)
            self.assertTrue(all(link == 1 for link, _ in files))
            self.assertEqual(sum(len(records) for _, records in files), len(source))
            self.assertEqual(collections.Counter(r for _, records in files for r in records),
                             collections.Counter(source))
            # Both directions of every address pair, hence of every flow, in one file.
            queue_of = {}
            for q, (_, records) in enumerate(files):
                for r in records:
                    addresses = bench.rss_addresses(r, 16, len(r), 1)
                    if addresses is None:
                        self.assertEqual(q, 0, "not IP: the first queue")
                        continue
                    half = len(addresses) // 2
                    pair = frozenset((addresses[:half], addresses[half:]))
                    self.assertEqual(queue_of.setdefault(pair, q), q, r.hex())
            self.assertGreater(len(queue_of), 2)
            self.assertTrue(all(records for _, records in files), "no queue left empty")

    def test_frames_land_where_the_definition_puts_their_addresses(self):
        frames = [
            (ethernet(ipv4("10.0.0.1", "192.0.2.9"), 0x0800), ("10.0.0.1", "192.0.2.9")),
            (ethernet(ipv4("192.0.2.9", "10.0.0.1"), 0x0800), ("10.0.0.1", "192.0.2.9")),
            (ethernet(ipv4("10.0.0.1", "192.0.2.9", 0x2001), 0x0800, [(0x8100, 7)]),
             ("10.0.0.1", "192.0.2.9")),  # a fragment, VLAN-tagged: with its flow
            (ethernet(ipv4("172.16.5.4", "198.51.100.200"), 0x0800, [(0x88A8, 3), (0x8100, 9)]),
             ("172.16.5.4", "198.51.100.200")),
            (ethernet(ipv6("2001:db8::1", "2001:db8:0:53::2"), 0x86DD),
             ("2001:db8::1", "2001:db8:0:53::2")),
            (ethernet(ipv6("2001:db8:0:53::2", "2001:db8::1"), 0x86DD, [(0x8100, 12)]),
             ("2001:db8::1", "2001:db8:0:53::2")),
            (ethernet(b"\x00\x01\x08\x00\x06\x04\x00\x01" + b"\x00" * 20, 0x0806), None),
            (ethernet(ipv4("10.0.0.1", "192.0.2.9")[:12], 0x0800), None),  # cut short: not IP
        ]
        frames += [(ethernet(ipv4(f"10.1.{i}.1", f"203.0.113.{i}"), 0x0800),
                    (f"10.1.{i}.1", f"203.0.113.{i}")) for i in range(40)]
        pcap = os.path.join(self.dir.name, "made.pcap")
        write_pcap(pcap, [frame for frame, _ in frames])
        n = 2
        _, files = self.split(pcap, n)
        where = {r[16:]: q for q, (_, records) in enumerate(files) for r in records}
        self.assertEqual(len(where), len(frames))
        for frame, addresses in frames:
            expected = 0 if addresses is None else (
                bench.toeplitz(bench.SYMMETRIC_RSS_KEY, packed(*addresses))
                & (bench.RETA_ENTRIES - 1)) % n
            self.assertEqual(where[frame], expected, frame.hex())
        self.assertEqual(sum(len(records) for _, records in files), len(frames))
        self.assertTrue(all(records for _, records in files))

    def test_split_files_are_kept_and_used_again(self):
        paths, _ = self.split(self.DEMO, 2)
        stamps = [os.stat(p).st_mtime_ns for p in paths]
        again, _ = self.split(self.DEMO, 2)
        self.assertEqual(again, paths)
        self.assertEqual([os.stat(p).st_mtime_ns for p in paths], stamps)
        self.assertTrue(all("rss2-" in os.path.basename(p) for p in paths))

    def test_a_changed_capture_is_split_again_and_its_old_split_removed(self):
        pcap = os.path.join(self.dir.name, "copy.pcap")
        with open(self.DEMO, "rb") as src, open(pcap, "wb") as dst:
            dst.write(src.read())
        old, _ = self.split(pcap, 2)
        stamp = os.stat(pcap).st_mtime + 100
        os.utime(pcap, (stamp, stamp))
        new, files = self.split(pcap, 2)
        self.assertNotEqual(new, old)
        self.assertFalse(any(os.path.exists(p) for p in old))
        self.assertEqual(sum(len(records) for _, records in files), 149)


if __name__ == "__main__":
    unittest.main()
