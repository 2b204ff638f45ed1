#!/usr/bin/env python3
"""The control side under everything at once, for a long time (issue 15's soak).

One appliance replays a capture from memory (--loop) while, all along:
  - the rules are rewritten (atomically) and reloaded with SIGHUP every second;
  - /metrics and /api/v1/status are scraped continuously;
  - the flow-record output is a FIFO whose reader comes for a while and goes away again;
  - 128 hostile sockets sit on the API (half silent, half sending a header byte at a time).
Every second it samples the appliance's RSS and received packets. At the end it stops the
appliance with SIGTERM and checks: the stop took at most a second, the conservation line
holds, RSS stayed flat (runs of 2 minutes or more: the last minute's median within 10% of the
first minute's after the warm-up), packets kept flowing in every sampled second, and every record the workers made is
written or dropped under a named reason.

Usage: control_soak.py [--seconds N] [--binary build/ottscope] [--capture FILE]
Prints a summary and exits 1 on a failed check. Traffic only to 127.0.0.1.
"""

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from appliance_probe import add_appliance_options, fetch, free_port, metric_sum, write_atomically  # noqa: E501


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def rules_text(variant):
    return ("apps:\n  - name: soak-%s\n    category: test\n    match:\n      any:\n"
            "        - ndpi: [DNS]\n" % ("a" if variant % 2 == 0 else "b"))


class Soak:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.stop = threading.Event()
        self.port = free_port()
        self.fifo = os.path.join(work, "flows.fifo")
        os.mkfifo(self.fifo)
        os.makedirs(os.path.join(work, "rules.d"))
        self.config = os.path.join(work, "ottscope.yaml")
        write_atomically(self.config, 'rules:\n  files: ["rules.d/*.yaml"]\n  watch_files: false\n')
        write_atomically(os.path.join(work, "rules.d", "soak.yaml"), rules_text(0))
        self.counts = {"reloads": 0, "scrapes": 0, "empty_scrapes": 0, "reader_sessions": 0,
                       "hostile_connects": 0, "records_read": 0}
        self.lock = threading.Lock()

    def count(self, key, n=1):
        with self.lock:
            self.counts[key] += n

    def start(self):
        self.log = open(os.path.join(self.work, "appliance.log"), "w")
        self.proc = subprocess.Popen(
            [self.args.binary, "run", "-c", self.config, "--pcap", self.args.capture, "--loop",
             "--workers", "1", "--flows-out", self.fifo, "--metrics", f"127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline and not fetch(self.port, "/healthz"):
            time.sleep(0.1)

    def reloader(self):
        variant = 0
        while not self.stop.wait(1.0):
            variant += 1
            write_atomically(os.path.join(self.work, "rules.d", "soak.yaml"), rules_text(variant))
            self.proc.send_signal(signal.SIGHUP)
            self.count("reloads")

    def scraper(self):
        while not self.stop.wait(0.1):
            page = fetch(self.port, "/metrics")
            fetch(self.port, "/api/v1/status")
            self.count("scrapes")
            if not page:
                self.count("empty_scrapes")

    def reader(self):
        # Comes for 4 s, reads, goes away for 4 s (records meanwhile wait, then drop).
        while not self.stop.is_set():
            try:
                fd = os.open(self.fifo, os.O_RDONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.2)
                continue
            self.count("reader_sessions")
            until = time.time() + 4
            while time.time() < until and not self.stop.is_set():
                try:
                    data = os.read(fd, 1 << 20)
                    self.count("records_read", data.count(b"\n"))
                except BlockingIOError:
                    time.sleep(0.01)
            os.close(fd)
            self.stop.wait(4)

    def hostile(self, slow):
        sockets = []
        while not self.stop.is_set():
            while len(sockets) < 64:
                try:
                    s = socket.create_connection(("127.0.0.1", self.port), timeout=1)
                    s.setblocking(False)
                    sockets.append(s)
                    self.count("hostile_connects")
                except OSError:
                    break
            alive = []
            for s in sockets:
                try:
                    if slow:
                        s.send(b"G")
                    alive.append(s)
                except OSError:
                    s.close()
            sockets = alive
            self.stop.wait(0.5)
        for s in sockets:
            s.close()

    def run(self):
        self.start()
        threads = [threading.Thread(target=t, daemon=True) for t in
                   (self.reloader, self.scraper, self.reader)]
        threads += [threading.Thread(target=self.hostile, args=(slow,), daemon=True)
                    for slow in (False, True)]
        for t in threads:
            t.start()
        samples = []  # (seconds, rss KiB, received packets)
        started = time.time()
        while time.time() - started < self.args.seconds and self.proc.poll() is None:
            time.sleep(1)
            page = fetch(self.port, "/metrics", timeout=5)
            samples.append((time.time() - started, rss_kib(self.proc.pid),
                            metric_sum(page, "ottscope_rx_packets_total")))
        last_page = fetch(self.port, "/metrics", timeout=5)
        self.stop.set()
        stop_started = time.time()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        stop_seconds = time.time() - stop_started
        for t in threads:
            t.join(timeout=5)
        self.log.close()
        with open(os.path.join(self.work, "appliance.log")) as f:
            log = f.read()
        return samples, last_page, stop_seconds, log


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=600)
    add_appliance_options(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ottscope-soak-") as work:
        soak = Soak(args, work)
        samples, page, stop_seconds, log = soak.run()

    failures = []
    received = [s[2] for s in samples if s[2] is not None]
    stalls = sum(1 for a, b in zip(received, received[1:]) if b <= a)
    if stalls:
        failures.append(f"received did not grow in {stalls} of {len(received) - 1} seconds")
    rss = [s[1] for s in samples if s[1] is not None]
    warm = min(len(rss) // 4, 60)
    window = max(1, min(60, len(rss) // 4))
    first = statistics.median(rss[warm:warm + window]) if len(rss) > warm else 0
    last = statistics.median(rss[-window:]) if rss else 0
    growth = (last - first) / first if first else 0
    # Short runs are still filling the flow table and the record backlog: no RSS verdict.
    if growth > 0.10 and args.seconds >= 120:
        failures.append(f"RSS grew {growth:.1%} ({first} -> {last} KiB)")
    if stop_seconds > 1.0:
        failures.append(f"SIGTERM took {stop_seconds:.2f} s")
    if not re.search(r"conservation: received \d+ = .*: holds", log):
        failures.append("no conservation line that holds")
    summary = re.search(r"flow records to .*: (\d+) written, (\d+) dropped(.*)", log)
    reloads_ok = metric_sum(page, 'ottscope_config_reloads_total{result="success"}') or 0
    reloads_failed = metric_sum(page, 'ottscope_config_reloads_total{result="failure"}') or 0
    if reloads_failed:
        failures.append(f"{reloads_failed:.0f} reloads failed")
    drops = {line.split(" ")[0]: line.rsplit(" ", 1)[1] for line in page.splitlines()
             if line.startswith("ottscope_flow_records_dropped_total{")}
    rate = (received[-1] - received[0]) / (samples[-1][0] - samples[0][0]) if len(received) > 1 else 0
    print(f"soak: {args.seconds} s, {len(samples)} samples, {rate:,.0f} packets/s on average")
    print(f"  rss KiB: first minute {first}, last minute {last} ({growth:+.1%}), max {max(rss) if rss else 0}")
    print(f"  reloads: {reloads_ok:.0f} succeeded, {reloads_failed:.0f} failed; scrapes "
          f"{soak.counts['scrapes']} ({soak.counts['empty_scrapes']} unanswered)")
    print(f"  record reader sessions {soak.counts['reader_sessions']}, records read "
          f"{soak.counts['records_read']}; hostile connects {soak.counts['hostile_connects']}")
    if summary:
        print(f"  flow records: {summary.group(1)} written, {summary.group(2)} dropped{summary.group(3)}")
    for series, value in sorted(drops.items()):
        print(f"  {series} {value}")
    print(f"  SIGTERM to exit: {stop_seconds:.2f} s")
    if soak.counts["empty_scrapes"] > soak.counts["scrapes"] * 0.01:
        failures.append(f"{soak.counts['empty_scrapes']} scrapes unanswered")
    if summary and soak.counts["records_read"] > int(summary.group(1)):
        failures.append("the reader got more records than were written")
    for failure in failures:
        print("soak: FAILED: " + failure)
    print("soak: " + ("ok" if not failures else "failed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
