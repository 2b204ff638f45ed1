#!/usr/bin/env python3
"""bench.py's nDPI verdict comparison on inline text: ndpiReader -v 2 lines as 4.2 prints them
(VLAN, one-way flows, GTP, IPv6 through its patchIPv6Address), ottscope flow records, the
mkbench.py sidecar. No binary, no capture: runs in milliseconds."""
import json
import os
import sys
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


if __name__ == "__main__":
    unittest.main()
