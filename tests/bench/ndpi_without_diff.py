#!/usr/bin/env python3
"""Do optimisations change nDPI's names? Runs every capture twice, all optimisations on and with
`--without NAME` for each given name, and compares the `ndpi` field of the flow records flow by
flow (records of one 5-tuple in the order they started). Lists each flow whose name changed
and each flow only one run has; exits 1 when there is any.

  python3 tests/bench/ndpi_without_diff.py --without ndpi-lazy-state [--binary build/ottscope]
      [--workers 1] [-c config/ottscope.yaml] [CAPTURE_OR_FOLDER...]   (default ../shared/pcaps)

Runs without -c take the shipped configuration (config/ottscope.yaml), as bench.py does.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (flow ids as the verdict comparison makes them; sets the config env)

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap")


def captures(paths):
    for path in paths:
        if os.path.isdir(path):
            for folder, _, files in sorted(os.walk(path)):
                if os.path.basename(folder) == "expected":
                    continue
                for name in sorted(files):
                    if name.endswith(CAPTURE_SUFFIXES):
                        yield os.path.join(folder, name)
        else:
            yield path


def ndpi_names(args, capture, without):
    """Flow id -> the `ndpi` field of its records, earliest first; None when the run failed."""
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as out:
        cmd = [args.binary, "run", "--pcap", capture, "--workers", str(args.workers),
               "--flows-out", out.name, "--metrics", "127.0.0.1:0"]
        if args.config:
            cmd += ["-c", args.config]
        for name in without:
            cmd += ["--without", name]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            return None, run.stderr.strip().splitlines()[-1:] or [f"exit {run.returncode}"]
        with open(out.name, errors="surrogateescape") as f:
            records = bench.ottscope_records(f)
    return {fid: [r.get("ndpi") for r in own] for fid, own in records.items()}, None


def compare(on, off):
    """(flow id, names all on, names without) for each flow whose names differ."""
    return [(fid, on.get(fid), off.get(fid)) for fid in sorted(set(on) | set(off))
            if on.get(fid) != off.get(fid)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--without", action="append", required=True,
                    help="optimisation to turn off (repeatable, or comma-separated)")
    ap.add_argument("--binary", default=os.path.join(bench.ROOT, "build", "ottscope"))
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("-c", "--config", help="configuration file (default: built-in defaults)")
    ap.add_argument("paths", nargs="*",
                    default=[os.path.join(bench.ROOT, "..", "shared", "pcaps")])
    args = ap.parse_args()
    without = [name for item in args.without for name in item.split(",") if name]

    files = changed = flows = 0
    for capture in captures(args.paths):
        on, failed_on = ndpi_names(args, capture, [])
        off, failed_off = ndpi_names(args, capture, without)
        files += 1
        if failed_on or failed_off:
            # Hostile captures the binary refuses: it must refuse them the same way both times.
            if bool(failed_on) != bool(failed_off):
                changed += 1
                print(f"{capture}: only one run failed: {failed_on or failed_off}")
            continue
        flows += len(on)
        for fid, names_on, names_off in compare(on, off):
            changed += 1
            print(f"{capture}: {bench.flow_text(fid)}: all on {names_on}, "
                  f"without {','.join(without)} {names_off}")
    print(f"{files} captures, {flows} flows: {changed} with another nDPI name "
          f"without {','.join(without)}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
