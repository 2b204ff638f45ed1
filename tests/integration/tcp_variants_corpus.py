#!/usr/bin/python3
"""Do nDPI labels survive TCP reordering, retransmission and re-segmentation? And when they
change, does ndpiReader 4.2 change the same way (so ottscope stays faithful to it)?

    tests/integration/tcp_variants_corpus.py [--limit N] [--tags tls,http] OUTDIR

For each capture of ../shared/pcaps (MANIFEST.tsv, Ethernet, under 300 kB, with one of the
tags) it writes the variants of tcp_variants.py, runs build/ottscope and ndpiReader on the
capture and on each variant, and prints per variant: flows, flows whose ottscope nDPI label
differs from the plain capture's, and how many of those ndpiReader labels the same way on
the variant. A summary line per variant ends the output. Run from the project root after a
build. Takes a few seconds per capture.
"""

import argparse
import csv
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("OTTSCOPE_SHARED", os.path.join(ROOT, "..", "shared"))
VARIANTS = ("reordered", "retransmitted", "resegmented")
NDPI_LINE = re.compile(r"^\s*\d+\s+(\w+)\s+(\S+)\s+<?->\s+(\S+)\s+\[proto:\s*[^\]/]*/([^\]]+)\]")


def endpoint(text):
    address, _, port = text.rpartition(":")
    return (address.strip("[]"), int(port))


def flow_id(proto, a, b):
    return (proto,) + tuple(sorted([a, b]))


def ottscope_labels(pcap, out):
    flows = os.path.join(out, os.path.basename(pcap) + ".jsonl")
    subprocess.run([os.path.join(ROOT, "build", "ottscope"), "run", "--pcap", pcap, "--workers", "1",
                    "--flows-out", flows, "--metrics", "127.0.0.1:0"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    labels = {}
    with open(flows, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            key = flow_id(record["proto"], (record["src_ip"], record["src_port"]),
                          (record["dst_ip"], record["dst_port"]))
            labels[key] = record["ndpi"]
    return labels


def ndpireader_labels(pcap, out):
    result = os.path.join(out, os.path.basename(pcap) + ".ndpi")
    subprocess.run(["ndpiReader", "-q", "-t", "-i", pcap, "-v", "2", "-w", result],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    labels = {}
    if os.path.exists(result):
        with open(result, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                match = NDPI_LINE.match(line)
                if match:
                    proto, a, b, name = match.groups()
                    labels[flow_id(proto, endpoint(a), endpoint(b))] = name.strip()
    return labels


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--tags", default="tls,http")
    args = parser.parse_args()
    tags = set(args.tags.split(","))
    with open(os.path.join(SHARED, "pcaps", "MANIFEST.tsv"), encoding="utf-8") as manifest:
        rows = [row for row in csv.DictReader(manifest, delimiter="\t")
                if int(row["bytes"]) < 300000 and row["encapsulation"].startswith("ether")
                and tags & set(row["tags"].split(","))]
    if args.limit:
        rows = rows[:args.limit]
    totals = {v: [0, 0, 0] for v in VARIANTS}  # flows, changed, changed like ndpiReader
    for row in rows:
        pcap = os.path.join(SHARED, "pcaps", row["path"])
        out = os.path.join(args.outdir, row["path"].replace("/", "_"))
        os.makedirs(out, exist_ok=True)
        made = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "integration", "tcp_variants.py"),
                               pcap, out], capture_output=True, check=False)
        if made.returncode != 0:
            print(row["path"], "variants could not be written")
            continue
        plain = ottscope_labels(pcap, out)
        for variant in VARIANTS:
            path = os.path.join(out, variant + ".pcap")
            ours = ottscope_labels(path, out)
            changed = [k for k, v in ours.items() if k in plain and plain[k] != v]
            same_as_reader = 0
            if changed:
                reader = ndpireader_labels(path, out)
                same_as_reader = sum(1 for k in changed if reader.get(k) == ours[k])
            totals[variant][0] += len(ours)
            totals[variant][1] += len(changed)
            totals[variant][2] += same_as_reader
            print(f"{row['path']} {variant}: flows={len(ours)} label_changed={len(changed)} "
                  f"ndpiReader_agrees={same_as_reader}"
                  + "".join(f" [{'/'.join(map(str, k[1]))} {plain[k]}->{ours[k]}]" for k in changed[:3]))
    for variant, (flows, changed, agrees) in totals.items():
        print(f"TOTAL {variant}: captures={len(rows)} flows={flows} label_changed={changed} "
              f"ndpiReader_agrees={agrees}")


if __name__ == "__main__":
    main()
