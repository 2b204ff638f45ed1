#!/usr/bin/env python3
"""bench.py end to end on a small capture: every section runs (the tools over the file, from
memory, testpmd, callgrind and its split, the ablation, the nDPI verdicts) and prints its
table. Checks that the benchmark works, not what it measures: figures on a 149-packet capture
say nothing about throughput.

  python3 tests/bench/bench_run_test.py BINARY CAPTURE
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    binary, capture = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="ottscope-bench-run-") as workdir:
        # --seconds 5: testpmd's rate needs three of its 1 s samples, on a busy machine too.
        p = subprocess.run([sys.executable, os.path.join(HERE, "bench.py"), "--binary", binary,
                            "--workdir", workdir, "--pcap", capture, "--seconds", "5",
                            "--whole-repeats", "1", "--repeats", "1", "--slice", "100",
                            "--ablation"], capture_output=True, text=True, timeout=900)
    print(p.stdout)
    print(p.stderr, file=sys.stderr)
    if p.returncode != 0:
        sys.exit(f"bench.py exited with {p.returncode}")
    expected = ["ottscope 1 worker    file, 1 pass", "ottscope 2 workers   memory, --loop",
                "memory, queue per worker",
                "dpdk-testpmd rxonly", "instructions per packet (callgrind)",
                "where the instructions of the packet loop go", "nDPI",
                "whole process on the file", "optimisations, each turned off",
                "without burst-lookup"]
    missing = [text for text in expected if text not in p.stdout]
    if missing:
        sys.exit(f"bench.py's output lacks: {missing}")
    print("bench.py ran every section on the small capture")


if __name__ == "__main__":
    main()
