#!/usr/bin/env python3
"""Throughput of ottscope against ndpiReader 4.2 on the same capture, in one run.

Makes the benchmark capture with ../shared/tools/mkbench.py (its defaults: 1M packets,
20k flows) under /tmp, then measures, with the page cache warm:
  - ndpiReader -t (one pass over the file; its own "Packet Processing Time");
  - ottscope with 1 and 2 workers, one pass over the file through the net_pcap vdev
    (its own processing time: first to last packet, setup excluded, like ndpiReader's);
  - ottscope with 1 and 2 workers replaying the capture from memory (--loop: the pcap PMD
    preloads it into mbufs, so disk and libpcap are out of the measurement) for --seconds;
  - dpdk-testpmd in rxonly mode on the same net_pcap vdev with infinite_rx=1 for --seconds:
    the I/O ceiling (receive and free, nothing else) that the --loop rows can approach.
Prints packets/s, Gb/s (frame bytes), per-core figures, wall time, peak RSS and the ratios
to ndpiReader and to testpmd per core.
Then the cost per packet in instructions, which load on the machine does not change:
callgrind on the first --slice packets of the capture, counting only the packet loop
(ottscope's Worker::run and Fanout::run, ndpiReader's pcap_loop: reading the file, decoding,
flow lookup, classification; not setup nor the final report).
Not a test: figures depend on the machine; run it by hand.

  python3 tests/bench/bench.py [--binary build/ottscope] [--seconds 10] [--workdir /tmp/ottscope-bench]
                               [--slice 20000]
"""
import argparse
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

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


def testpmd_rxonly(pcap, packets, seconds):
    """dpdk-testpmd rxonly on net_pcap with infinite_rx=1 for `seconds` of forwarding.

    Returns (packets, bytes, seconds measured, wall seconds, peak RSS MiB). The rate comes
    from testpmd's own periodic samples: each gives cumulative RX packets and bytes and the
    rate since the previous sample (from the TSC), so the interval each covers is known.
    """
    testpmd = shutil.which("dpdk-testpmd")
    if testpmd is None:
        sys.exit("dpdk-testpmd is absent: install the Debian package dpdk-dev")
    prefix = f"ottscope-bench-testpmd-{os.getpid()}"
    # infinite_rx preloads the whole capture into mbufs, then copies each packet into a fresh
    # one per receive: room for every packet of the file plus the rings and caches, with the
    # footprint per mbuf ottscope reserves (the allocator needs slack for one huge pool).
    mbufs = packets + 32768
    memory_mb = mbufs * 4096 // (1 << 20) + 512
    cmd = [testpmd, "--no-huge", "--no-pci", "--no-shconf", "-m", str(memory_mb),
           "--file-prefix", prefix, "-l", "0,1", "--log-level=pmd.net.pcap:error",
           f"--vdev=net_pcap0,rx_pcap={pcap},infinite_rx=1", "--",
           "--forward-mode=rxonly", "--nb-cores=1", "--stats-period", "1", "--no-mlockall",
           f"--total-num-mbufs={mbufs}"]
    log_path = os.path.join(os.path.dirname(pcap), "testpmd.log")
    started = time.monotonic()
    with open(log_path, "w") as log:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

    def running():  # without reaping it: os.wait4 below reads its peak RSS
        return os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None

    # Forwarding starts once the capture is loaded, which takes a while: time from the first
    # statistics block.
    deadline = time.monotonic() + 600
    while running() and time.monotonic() < deadline:
        with open(log_path, errors="replace") as f:
            if "NIC statistics for port 0" in f.read():
                break
        time.sleep(0.2)
    if running():
        time.sleep(seconds + 0.5)
        p.send_signal(signal.SIGINT)  # testpmd prints its final statistics and exits
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)
    with open(log_path, errors="replace") as f:
        text = f.read()
    samples = re.findall(r"RX-packets:\s+(\d+)\s+RX-missed:\s+\d+\s+RX-bytes:\s+(\d+)"
                         r".*?Rx-pps:\s+(\d+)", text, re.S)
    samples = [(int(n), int(b), int(pps)) for n, b, pps in samples]
    # The first sample has no previous one (its rate is 0): it is where the window opens.
    window = sum((n - prev[0]) / pps for prev, (n, _, pps) in zip(samples, samples[1:]) if pps)
    if len(samples) < 3 or window <= 0:
        sys.exit(f"{' '.join(cmd)}: no forwarding statistics; see {log_path}")
    first, last = samples[0], samples[-1]
    return last[0] - first[0], last[1] - first[1], window, wall, usage.ru_maxrss / 1024


def write_slice(pcap, out, count):
    """The first `count` packets of a pcap file, as a pcap file. Returns how many it holds."""
    written = 0
    with open(pcap, "rb") as src, open(out, "wb") as dst:
        header = src.read(24)
        order = "<" if header[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        dst.write(header)
        while written < count:
            record = src.read(16)
            if len(record) < 16:
                break
            length = struct.unpack(order + "IIII", record)[2]
            dst.write(record + src.read(length))
            written += 1
    return written


def callgrind_ir(cmd, toggles, out_file):
    """Instructions executed inside the `toggles` functions (and what they call) by cmd."""
    valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
                "--collect-atstart=no"] + [f"--toggle-collect={t}" for t in toggles]
    p = subprocess.run(valgrind + cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(valgrind + cmd)} failed ({p.returncode}):\n{p.stdout[-2000:]}\n"
                 f"{p.stderr[-2000:]}")
    with open(out_file) as f:
        m = re.search(r"^(?:totals|summary):\s+(\d+)", f.read(), re.M)
    return int(m.group(1)), p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "ottscope"))
    ap.add_argument("--workdir", default="/tmp/ottscope-bench")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each --loop run")
    ap.add_argument("--slice", type=int, default=20000,
                    help="packets from the start of the capture measured under callgrind")
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

    n, size, seconds, wall, rss = testpmd_rxonly(pcap, packets, a.seconds)
    rows.append(["dpdk-testpmd rxonly", "memory, infinite", 1, n, seconds, wall, rss, size / n])

    slice_pcap = os.path.join(a.workdir, f"slice-{a.slice}.pcap")
    slice_packets = write_slice(pcap, slice_pcap, a.slice)
    # The packet loops only: ottscope's worker lcores (with 2 workers worker 0 also reads and
    # places the packets; Fanout::run runs only with dataplane.fanout: dedicated), ndpiReader's
    # pcap_loop, which calls its per-packet callback.
    loops = ["ottscope::Worker::run*", "ottscope::Fanout::run*"]
    costs = [("ndpiReader 4.2", *callgrind_ir(["ndpiReader", "-i", slice_pcap, "-v", "0"],
                                              ["pcap_loop"],
                                              os.path.join(a.workdir, "callgrind.ndpiReader")))]
    for workers in (1, 2):
        costs.append((f"ottscope {workers} worker{'s' if workers > 1 else ''}",
                      *callgrind_ir([a.binary, "run", "--pcap", slice_pcap, "--workers",
                                     str(workers), "--metrics", "127.0.0.1:0"], loops,
                                    os.path.join(a.workdir, f"callgrind.ottscope.{workers}"))))
        m = re.search(r"processed (\d+) packets", costs[-1][2])
        if int(m.group(1)) != slice_packets:
            sys.exit(f"ottscope processed {m.group(1)} of the {slice_packets} slice packets")

    bytes_per_packet = frame_bytes / packets
    base_pps = rows[0][3] / rows[0][4]
    testpmd_per_core = rows[-1][3] / rows[-1][4]
    print(f"\ncapture: {pcap}: {packets} packets, {frame_bytes} frame bytes; {cores} cores here")
    print(f"{'tool':<20} {'input':<16} {'lcores':>6} {'packets/s':>12} {'Gb/s':>7} "
          f"{'pkt/s/core':>11} {'wall s':>7} {'RSS MiB':>8} {'x ndpiReader':>12} "
          f"{'x testpmd/core':>14}")
    for row in rows:
        name, mode, workers, n, seconds, wall, rss = row[:7]
        size = row[7] if len(row) > 7 else bytes_per_packet
        pps = n / seconds
        # lcores busy: one per worker (worker 0 also reads the capture: dataplane.fanout's
        # default, receiver).
        lcores = workers if name.startswith("ottscope") else 1
        per_core = pps / min(lcores, cores)
        print(f"{name:<20} {mode:<16} {lcores:>6} {pps:>12,.0f} {pps * size * 8 / 1e9:>7.2f} "
              f"{per_core:>11,.0f} {wall:>7.2f} {rss:>8.0f} {pps / base_pps:>11.2f}x "
              f"{per_core / testpmd_per_core:>13.3f}x")

    print(f"\ninstructions per packet (callgrind), first {slice_packets} packets: {slice_pcap}")
    print(f"{'tool':<20} {'counted in':<36} {'Ir':>14} {'Ir/packet':>10} {'x ndpiReader':>12}")
    for name, ir, _ in costs:
        where = "pcap_loop" if name.startswith("ndpiReader") else "Worker::run, Fanout::run"
        print(f"{name:<20} {where:<36} {ir:>14,} {ir / slice_packets:>10,.0f} "
              f"{ir / costs[0][1]:>11.2f}x")
    print("\nper core = packets/s divided by the cores the lcores could use; on a 2-core machine "
          "2 workers take both cores, worker 0 also reading the file and placing packets.")
    print("--loop replays the same flows: after the first pass they are decided, so those rows "
          "measure the decided-flow path (decode, lookup, count), not classification; compare "
          "the file rows with ndpiReader.")
    print("testpmd rxonly receives and frees (the pcap PMD copies each preloaded packet into a "
          "fresh mbuf, as for ottscope --loop); its rate comes from its own 1 s samples after "
          "the capture is loaded; x testpmd/core compares per-core rates with that ceiling.")
    print("Ir counts the packet loops only (file reading through libpcap included for both): "
          "with 2 workers it adds worker 0's decode for placing and the ring hand-off.")


if __name__ == "__main__":
    main()
