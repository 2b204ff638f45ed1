#!/usr/bin/env python3
"""Flood benchmark: SYN-only flows (and a port scan) from random sources through ONE worker.

Writes the capture with build/tests/bench/flood_pcap under --workdir (10M flows by default,
1M new flows per second of capture time: shorter than the embryonic timeout, so the table
must evict), runs `ottscope run --pcap FILE --workers 1` with flow_table.capacity set to
--capacity, scrapes /metrics at the end of the capture (--linger), and prints peak RSS
(/usr/bin/time -v), flows/s, evictions by reason, table entries and classifier state bytes.
Fails if the run does not exit 0 (conservation), if RSS grows past what the table size
allows, or if evictions do not add up to the flows. Not a test: run it by hand.

  python3 tests/bench/flood.py [--flows 10000000] [--capacity 1048576] [--kinds syn,scan]
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metric(text, name, labels=""):
    m = re.search(r"^" + re.escape(name) + (r"\{" + labels + r"[^}]*\}" if labels else r"(?:\{[^}]*\})?")
                  + r" ([0-9.e+]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def run(binary, pcap, config, flows):
    port = free_port()
    cmd = ["/usr/bin/time", "-v", binary, "run", "-c", config, "--pcap", pcap, "--workers", "1",
           "--metrics", f"127.0.0.1:{port}", "--linger"]
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err_lines = []
    done = threading.Event()

    def read_stderr():
        for line in p.stderr:
            err_lines.append(line)
            if "captures done" in line:
                done.set()
        done.set()

    reader = threading.Thread(target=read_stderr)
    reader.start()
    done.wait()
    metrics = ""
    if p.poll() is None:
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
        # SIGTERM goes to ottscope itself: /usr/bin/time would die of it and leave ottscope running.
        with open(f"/proc/{p.pid}/task/{p.pid}/children") as children:
            for child in children.read().split():
                os.kill(int(child), signal.SIGTERM)
    out = p.stdout.read()
    p.wait()
    reader.join()
    err = "".join(err_lines)
    rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", err)
    wall_s = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    status = re.search(r"Exit status: (\d+)", err)
    return out, err, rss_kib, wall_s, int(status.group(1)) if status else p.returncode, metrics


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "ottscope"))
    ap.add_argument("--generator", default=os.path.join(ROOT, "build", "tests", "bench", "flood_pcap"))
    ap.add_argument("--workdir", default="/tmp/ottscope-flood")
    ap.add_argument("--flows", type=int, default=10_000_000)
    ap.add_argument("--capacity", type=int, default=1 << 20)
    ap.add_argument("--kinds", default="syn,scan")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    config = os.path.join(a.workdir, f"flood-{a.capacity}.yaml")
    with open(config, "w") as f:
        f.write(f"flow_table:\n  capacity: {a.capacity}\n")
    failed = False
    for kind in a.kinds.split(","):
        pcap = os.path.join(a.workdir, f"{kind}-{a.flows}.pcap")
        if not os.path.exists(pcap):
            print(f"writing {pcap}...", flush=True)
            subprocess.run([a.generator, "--out", pcap, "--flows", str(a.flows), "--kind", kind], check=True)
        with open(pcap, "rb") as f:  # warm the page cache
            while f.read(1 << 24):
                pass
        out, err, rss_kib, wall, status, text = run(a.binary, pcap, config, a.flows)
        m = re.search(r"processed (\d+) packets \((\d+) bytes\) in ([\d.]+) s", out)
        seconds = float(m.group(3)) if m else float("nan")
        evictions = {r: metric(text, "ottscope_flow_evictions_total", f'reason="{r}"')
                     for r in ("idle_timeout", "tcp_fin", "tcp_rst", "table_full", "shutdown")}
        print(out.strip().splitlines()[-1] if out.strip() else "(no output)")
        print(f"{kind}: {a.flows} flows, capacity {a.capacity}: exit {status}, "
              f"{a.flows / seconds:,.0f} flows/s ({m.group(1) if m else '?'} packets in {seconds:.2f} s), "
              f"peak RSS {rss_kib / 1024:.0f} MiB, wall {wall:.1f} s")
        print("  evictions: " + ", ".join(f"{r} {int(v)}" for r, v in evictions.items()))
        print(f"  classifier state bytes at the end: {int(metric(text, 'ottscope_classifier_state_bytes'))}")
        if status != 0:
            print(f"  FAILED: exit status {status}\n{out[-2000:]}\n{err[-2000:]}")
            failed = True
        if sum(evictions.values()) != a.flows:
            print(f"  FAILED: evictions add up to {int(sum(evictions.values()))}, not {a.flows}")
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
