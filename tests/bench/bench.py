#!/usr/bin/env python3
"""Throughput of ottscope against ndpiReader 4.2 on the same capture, in one run.

Makes the benchmark capture with ../shared/tools/mkbench.py (its defaults: 1M packets,
20k flows) under /tmp, then measures, with the page cache warm:
  - ndpiReader -t (one pass over the file; its own "Packet Processing Time");
  - ottscope with 1 and 2 workers, one pass over the file through the net_pcap vdev
    (its own processing time: first to last packet, setup excluded, like ndpiReader's);
  - ottscope with 1 and 2 workers replaying the capture from memory (--loop: the pcap PMD
    preloads it into mbufs, so disk and libpcap are out of the measurement) for --seconds.
Prints packets/s, Gb/s (frame bytes), per-core figures, wall time, peak RSS and the ratio
to ndpiReader. Not a test: figures depend on the machine; run it by hand.

  python3 tests/bench/bench.py [--binary build/ottscope] [--seconds 10] [--workdir /tmp/ottscope-bench]
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def timed(cmd):
    """Runs cmd under /usr/bin/time -v; returns (stdout, wall seconds, peak RSS MiB)."""
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    seconds = (int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    return p.stdout, seconds, rss


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "ottscope"))
    ap.add_argument("--workdir", default="/tmp/ottscope-bench")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each --loop run")
    a = ap.parse_args()

    mkbench = os.path.join(ROOT, "..", "shared", "tools", "mkbench.py")
    if not os.path.exists(mkbench):
        sys.exit("../shared/tools/mkbench.py is absent: the benchmark needs ../shared")
    os.makedirs(a.workdir, exist_ok=True)
    pcap = os.path.join(a.workdir, "bench.pcap")
    if not os.path.exists(pcap):
        print(f"writing {pcap} with mkbench.py (defaults)...", flush=True)
        subprocess.run([sys.executable, mkbench, "--out", pcap], check=True)
    with open(pcap, "rb") as f:  # warm the page cache so both tools read from memory
        while f.read(1 << 24):
            pass
    cores = os.cpu_count()
    rows = []

    out, wall, rss = timed(["ndpiReader", "-t", "-i", pcap, "-v", "0"])
    ms = float(re.search(r"Packet Processing Time:\s+(\d+) msec", out).group(1))
    packets = int(re.search(r"IP packets:\s+\d+\s+of (\d+) packets total", out).group(1))
    frame_bytes = None
    rows.append(["ndpiReader 4.2", "file, 1 pass", 1, packets, ms / 1000, wall, rss])

    for workers in (1, 2):
        out, wall, rss = timed([a.binary, "run", "--pcap", pcap, "--workers", str(workers),
                                "--metrics", "127.0.0.1:0"])
        m = re.search(r"processed (\d+) packets \((\d+) bytes\) in ([\d.]+) s", out)
        frame_bytes = int(m.group(2))
        rows.append([f"ottscope {workers} worker{'s' if workers > 1 else ''}", "file, 1 pass",
                     workers, int(m.group(1)), float(m.group(3)), wall, rss])
    for workers in (1, 2):
        out, wall, rss = timed([a.binary, "run", "--pcap", pcap, "--workers", str(workers), "--loop",
                                "--duration", str(a.seconds), "--metrics", "127.0.0.1:0"])
        m = re.search(r"processed (\d+) packets \((\d+) bytes\) in ([\d.]+) s", out)
        rows.append([f"ottscope {workers} worker{'s' if workers > 1 else ''}", "memory, --loop",
                     workers, int(m.group(1)), float(m.group(3)), wall, rss,
                     int(m.group(2)) / int(m.group(1))])

    bytes_per_packet = frame_bytes / packets
    base_pps = rows[0][3] / rows[0][4]
    print(f"\ncapture: {pcap}: {packets} packets, {frame_bytes} frame bytes; {cores} cores here")
    print(f"{'tool':<20} {'input':<15} {'lcores':>6} {'packets/s':>12} {'Gb/s':>7} "
          f"{'pkt/s/core':>11} {'wall s':>7} {'RSS MiB':>8} {'x ndpiReader':>12}")
    for row in rows:
        name, mode, workers, n, seconds, wall, rss = row[:7]
        size = row[7] if len(row) > 7 else bytes_per_packet
        pps = n / seconds
        # lcores busy: one per worker, plus the fan-out lcore when there are several workers.
        lcores = workers + (1 if workers > 1 else 0) if name.startswith("ottscope") else 1
        per_core = pps / min(lcores, cores)
        print(f"{name:<20} {mode:<15} {lcores:>6} {pps:>12,.0f} {pps * size * 8 / 1e9:>7.2f} "
              f"{per_core:>11,.0f} {wall:>7.2f} {rss:>8.0f} {pps / base_pps:>11.2f}x")
    print("\nper core = packets/s divided by the cores the lcores could use; on a 2-core machine "
          "2 workers plus the fan-out lcore share 2 cores.")
    print("--loop replays the same flows: after the first pass they are decided, so those rows "
          "measure the decided-flow path (decode, lookup, count), not classification; compare "
          "the file rows with ndpiReader.")


if __name__ == "__main__":
    main()
