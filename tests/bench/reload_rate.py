#!/usr/bin/env python3
"""Packets per second while the control side works hard, against the same run without it.

One appliance (1 worker) replays a capture from memory (--loop). Windows of equal length
alternate between quiet ones and one of these loads:
  rules-50mb    a 50 MB rules file written into rules.d and reloaded (SIGHUP) every second
                (refused by its size, without being read);
  rules-large   a 3.4 MB rules file (100 apps with long descriptions) written and reloaded
                every second;
  keylog        the TLS key log growing by 20,000 lines every 100 ms (about 35 MB/s).
Each load's rate is compared with the mean of the quiet windows around it, so the machine's
drift over the run cancels out. Prints one row per load; the target is at least 90%.
A last row puts in force the most conditions a rule set may have (16,000 SNI conditions over
100 apps, 3.4 MB): what matching that many costs, compared with the quiet window before it
(rules are tried in order, one by one, for every flow).

Usage: reload_rate.py [--window 8] [--binary build/ottscope] [--capture FILE]
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

from appliance_probe import add_appliance_options, fetch, free_port, metric_sum, write_atomically  # noqa: E501


def received(port):
    return metric_sum(fetch(port, "/metrics", timeout=5), "ottscope_rx_packets_total")


def small_rules():
    return (b"apps:\n  - name: rate-small\n    category: test\n    match:\n      any:\n"
            b"        - ndpi: [DNS]\n")


def large_rules():
    """3.4 MB of YAML the loader reads whole (100 apps with long descriptions), whose rules
    are cheap to match: what a reload of a large file costs, not what matching costs."""
    lines = ["apps:"]
    for app in range(100):
        text = " ".join(f"word{app}-{w}" for w in range(3000))
        lines += [f"  - name: rate-app-{app}", "    category: test",
                  f'    description: "{text}"', "    match:", "      any:",
                  f"        - {{ ports: [{40000 + app}] }}"]
    return ("\n".join(lines) + "\n").encode()


def many_conditions():
    lines = ["apps:"]
    for app in range(100):
        lines += [f"  - name: rate-app-{app}", "    category: test", "    match:", "      any:"]
        for condition in range(160):
            names = ", ".join(f'"host{app}-{condition}-{n}.service-{n}.example-operator.net"'
                              for n in range(4))
            lines.append(f"        - tls: {{ sni: [{names}] }}")
    return ("\n".join(lines) + "\n").encode()


def keylog_lines(start, count):
    return "".join(f"CLIENT_RANDOM {start + i:064x} {start + i:096x}\n"
                   for i in range(count)).encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--window", type=float, default=8.0)
    add_appliance_options(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ottscope-rate-") as work:
        rules_dir = os.path.join(work, "rules.d")
        os.makedirs(rules_dir)
        config = os.path.join(work, "ottscope.yaml")
        keylog = os.path.join(work, "keys.log")
        open(keylog, "w").close()
        write_atomically(config, b'rules:\n  files: ["rules.d/*.yaml"]\n  watch_files: true\n')
        write_atomically(os.path.join(rules_dir, "a.yaml"), small_rules())
        port = free_port()
        log = open(os.path.join(work, "appliance.log"), "w")
        proc = subprocess.Popen(
            [args.binary, "run", "-c", config, "--pcap", args.capture, "--loop", "--workers", "1",
             "--tls-keylog", keylog, "--metrics", f"127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline and not received(port):
            time.sleep(0.2)
        time.sleep(2)  # past the start

        big = b"# " + b"x" * 78 + b"\n"
        fifty_mb = big * (50 * 1024 * 1024 // len(big))
        large = large_rules()
        many = many_conditions()
        keylog_next = [0]

        def load_rules_50mb(stop):
            while not stop.wait(1.0):
                write_atomically(os.path.join(rules_dir, "big.yaml"), fifty_mb)
                proc.send_signal(signal.SIGHUP)

        def load_rules_large(stop):
            os.remove(os.path.join(rules_dir, "big.yaml")) if os.path.exists(
                os.path.join(rules_dir, "big.yaml")) else None
            while not stop.wait(1.0):
                write_atomically(os.path.join(rules_dir, "b.yaml"), large)
                proc.send_signal(signal.SIGHUP)

        def load_many_conditions(stop):
            write_atomically(os.path.join(rules_dir, "b.yaml"), many)
            proc.send_signal(signal.SIGHUP)
            stop.wait()

        def load_keylog(stop):
            with open(keylog, "ab", buffering=0) as f:
                while not stop.wait(0.1):
                    f.write(keylog_lines(keylog_next[0], 20000))
                    keylog_next[0] += 20000

        def window(load):
            stop = threading.Event()
            worker = threading.Thread(target=load, args=(stop,)) if load else None
            if worker:
                worker.start()
            time.sleep(0.5)  # the load is under way
            start_packets, start_time = received(port), time.time()
            time.sleep(args.window)
            rate = (received(port) - start_packets) / (time.time() - start_time)
            stop.set()
            if worker:
                worker.join()
            return rate

        plan = [("quiet", None), ("rules-50mb", load_rules_50mb), ("quiet", None),
                ("rules-large", load_rules_large), ("quiet", None), ("keylog", load_keylog),
                ("quiet", None), ("conditions", load_many_conditions)]
        rates = [(name, window(load)) for name, load in plan]
        sessions = metric_sum(fetch(port, "/metrics", timeout=5), "ottscope_tls_keylog_sessions")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
        with open(os.path.join(work, "appliance.log")) as f:
            output = f.read()
        keylog_mb = os.path.getsize(keylog) / 1e6

    print(f"{'window':<12} {'packets/s':>12} {'vs quiet around it':>20}")
    failed = False
    for i, (name, rate) in enumerate(rates):
        if name == "quiet":
            print(f"{name:<12} {rate:>12,.0f}")
            continue
        if name == "conditions":  # stays in force: against the window before it only
            print(f"{name:<12} {rate:>12,.0f} {rate / rates[i - 1][1]:>19.1%}  (matching cost, "
                  "not a target)")
            continue
        quiet = (rates[i - 1][1] + rates[i + 1][1]) / 2
        ratio = rate / quiet
        failed |= ratio < 0.9
        print(f"{name:<12} {rate:>12,.0f} {ratio:>19.1%}")
    reloads = output.count("rules reloaded (sighup)")
    refused = output.count("reload (sighup) failed")
    print(f"reloads: {reloads} applied, {refused} refused; key log grew to {keylog_mb:.0f} MB "
          f"({keylog_next[0]:,} sessions written, {sessions or 0:,.0f} read)")
    print("conservation holds" if ": holds" in output else "conservation line missing")
    return 1 if failed or ": holds" not in output else 0


if __name__ == "__main__":
    sys.exit(main())
