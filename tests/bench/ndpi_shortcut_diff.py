#!/usr/bin/env python3
"""nDPI's shortcuts (ottscope run --without ndpi-...) must not change nDPI's name for any flow.

Runs every capture of the corpus (../shared/pcaps, MANIFEST.tsv) twice, once with every
optimisation on and once with the nDPI shortcuts off (`--without` each), and compares the
`ndpi` field of the flow records flow by flow. Lists every flow whose nDPI name changed, with
the capture and both names; the exit status is 1 when there is one. Changes of the deciding
classifier, app or category (which a shortcut may move from nDPI's rules to the TLS
classifier's) are listed too, but do not fail the run.

Usage: tests/bench/ndpi_shortcut_diff.py [--binary build/ottscope] [--corpus DIR]
       [--switches ndpi-final-stop,ndpi-tls-facts] [-c CONFIG]
The switches default to every `ndpi-*` name `ottscope run --help` lists for --without, but
ndpi-lazy-state (which changes when nDPI starts, not what it is told).
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Fields that say which flow a record is, whatever it was classified as.
IDENTITY = ("proto", "src_ip", "src_port", "dst_ip", "dst_port", "vlan", "tunnel", "first_seen")
# Fields a shortcut may move without nDPI's name changing (reported, not failed).
VERDICT = ("app", "category", "classifier", "confidence")
NOT_SHORTCUTS = {"ndpi-lazy-state"}


def shortcut_switches(binary):
    """The ndpi-* optimisations this binary can turn off, from its --help."""
    text = subprocess.run([binary, "run", "--help"], capture_output=True, text=True).stdout
    match = re.search(r"--without\s+\S*?\{([^}]*)\}", text)
    if match is None:
        sys.exit(f"{binary} run --help lists no --without choices")
    names = [n.strip() for n in match.group(1).split(",")]
    return [n for n in names if n.startswith("ndpi-") and n not in NOT_SHORTCUTS]


def corpus_batches(corpus, size):
    """Captures in runs of `size`; damaged ones (tag truncated-or-bad) alone, as the oracle
    runs them: ottscope stops at the first unreadable record of a file."""
    with open(os.path.join(corpus, "MANIFEST.tsv")) as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:]
    whole = [os.path.join(corpus, r[0]) for r in rows if r[0] and "truncated-or-bad" not in r[-1]]
    damaged = [os.path.join(corpus, r[0]) for r in rows if r[0] and "truncated-or-bad" in r[-1]]
    return [whole[i:i + size] for i in range(0, len(whole), size)] + [[p] for p in damaged]


def run(binary, captures, flows_out, extra):
    cmd = [binary, "run", "--workers", "1", "--metrics", "127.0.0.1:0", "--flows-out", flows_out]
    for path in captures:
        cmd += ["--pcap", path]
    env = dict(os.environ, OTTSCOPE_SYSTEM_CONFIG="", OTTSCOPE_CHECKOUT_CONFIG="")
    p = subprocess.run(cmd + extra, capture_output=True, text=True, env=env)
    if p.returncode not in (0, 1):  # 1: a damaged capture, read as far as it goes
        sys.exit(f"{' '.join(cmd + extra)} failed ({p.returncode}):\n{p.stdout[-2000:]}"
                 f"{p.stderr[-2000:]}")


def records_by_flow(flows_out, captures):
    """{(capture, identity...): [record, ...]} in record order."""
    flows = collections.defaultdict(list)
    with open(flows_out, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            if not line.strip():
                continue
            record = json.loads(line)
            capture = captures[int(record["port"].removeprefix("pcap"))]
            key = (os.path.relpath(capture, ROOT),) + tuple(
                json.dumps(record.get(field), sort_keys=True) for field in IDENTITY)
            flows[key].append(record)
    return flows


def describe(key):
    capture, proto, src, sport, dst, dport, vlan, tunnel, _ = key
    where = f"{json.loads(proto)} {json.loads(src)}:{sport} -> {json.loads(dst)}:{dport}"
    if vlan != "null":
        where += f" vlan {vlan}"
    if tunnel != "null":
        where += f" tunnel {tunnel}"
    return f"{capture}: {where}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "ottscope"))
    ap.add_argument("--corpus", default=os.path.join(os.path.dirname(ROOT), "shared", "pcaps"))
    ap.add_argument("--switches", help="comma-separated --without names (default: from --help)")
    ap.add_argument("-c", "--config", help="configuration (rules) for both runs")
    ap.add_argument("--batch", type=int, default=30, help="captures per ottscope run")
    a = ap.parse_args()

    if not os.path.exists(os.path.join(a.corpus, "MANIFEST.tsv")):
        print(f"skipped: no corpus at {a.corpus}")
        return 77  # meson's "skipped"
    switches = a.switches.split(",") if a.switches else shortcut_switches(a.binary)
    batches = corpus_batches(a.corpus, a.batch)
    base = ["-c", a.config] if a.config else []
    off = base + [arg for name in switches for arg in ("--without", name)]
    print(f"{sum(map(len, batches))} captures, shortcuts off: {' '.join(off[len(base):])}", flush=True)

    renamed, moved, only_on, only_off = [], [], [], []
    flows = 0
    with tempfile.TemporaryDirectory(prefix="ndpi_shortcut_diff.") as work:
        for batch in batches:
            on_out, off_out = os.path.join(work, "on.jsonl"), os.path.join(work, "off.jsonl")
            run(a.binary, batch, on_out, base)
            run(a.binary, batch, off_out, off)
            on, off_flows = records_by_flow(on_out, batch), records_by_flow(off_out, batch)
            for key in sorted(set(on) | set(off_flows)):
                a_records, b_records = on.get(key, []), off_flows.get(key, [])
                for i in range(max(len(a_records), len(b_records))):
                    if i >= len(b_records):
                        only_on.append(describe(key))
                        continue
                    if i >= len(a_records):
                        only_off.append(describe(key))
                        continue
                    flows += 1
                    x, y = a_records[i], b_records[i]
                    if x.get("ndpi") != y.get("ndpi"):
                        renamed.append(f"{describe(key)}: ndpi {y.get('ndpi')} -> {x.get('ndpi')}")
                    changes = [f"{f} {y.get(f)} -> {x.get(f)}" for f in VERDICT
                               if x.get(f) != y.get(f)]
                    if changes:
                        moved.append(f"{describe(key)}: {', '.join(changes)}")

    print(f"{flows} flows in both runs; nDPI name changed: {len(renamed)}; "
          f"only with shortcuts: {len(only_on)}; only without: {len(only_off)}")
    for title, lines in (("nDPI name changed (shortcuts off -> on)", renamed),
                         ("records only with the shortcuts on", only_on),
                         ("records only with the shortcuts off", only_off),
                         ("app, category, classifier or confidence changed (not failed)", moved)):
        if lines:
            print(f"\n{title}:")
            for line in lines:
                print(f"  {line}")
    return 1 if renamed or only_on or only_off else 0


if __name__ == "__main__":
    sys.exit(main())
