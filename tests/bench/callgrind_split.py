#!/usr/bin/env python3
"""Where ottscope's instructions per packet go, from a callgrind profile of its packet loop.

The packet loop (Worker::run) is split into parts that do not call one another, each taken
with everything it calls (callgrind_annotate --inclusive=yes): receiving (the PMD and
libpcap), decoding, the flow table, nDPI, each classifier of ours, and the rest of the loop
(bursts, verdicts, counters, records) as what remains. nDPI's own libc calls (snprintf for
its JA3 strings) count under nDPI because they happen inside NdpiClassifier.

  python3 tests/bench/callgrind_split.py CALLGRIND_OUT PACKETS
"""
import collections
import re
import subprocess
import sys

# (part, pattern on the demangled function name): the first matching part takes a function.
PARTS = [
    ("receive (net_pcap PMD, libpcap, copy)", r"^ottscope::Worker::receive\("),
    ("decode", r"^ottscope::decode_packet\("),
    ("flow table (lookup, insert, timers)",
     r"^ottscope::FlowTable::(find_bulk|find|insert|touch|remove|expired)\("),
    ("nDPI", r"^ottscope::NdpiClassifier::(inspect|conclude)\("),
    ("TLS and QUIC classifier, SIP-over-TLS watch", r"^ottscope::TlsClassifier::(inspect|finish|conclude)\("),
]
# Every other classifier of ours, each under its own name.
OTHER_CLASSIFIER = re.compile(r"^ottscope::(\w+)Classifier::(inspect|finish|conclude)\(")
TOTAL = re.compile(r"^ottscope::Worker::run\(\)$")
LINE = re.compile(r"^\s*([\d,]+)\s+\([\s\d.]+%\)\s+(?:\S*?):(.*?) \[(.*)\]$")


def inclusive_costs(callgrind_out):
    """{function name: inclusive Ir} from callgrind_annotate, object file dropped."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100",
                           callgrind_out], capture_output=True, text=True, check=True).stdout
    costs = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            name = re.sub(r" \[clone [^\]]*\]$", "", m.group(2).strip())
            ir = int(m.group(1).replace(",", ""))
            # a function and its [clone .part.0] are one: the outer one includes the clone
            costs[name] = max(costs.get(name, 0), ir)
    return costs


def split(callgrind_out):
    """[(part, Ir)] in the order of PARTS, other classifiers, then the rest; and the total."""
    costs = inclusive_costs(callgrind_out)
    total = max((ir for name, ir in costs.items() if TOTAL.match(name)), default=0)
    parts = collections.OrderedDict((name, 0) for name, _ in PARTS)
    for name, ir in costs.items():
        for part, pattern in PARTS:
            if re.match(pattern, name):
                parts[part] += ir
                break
        else:
            m = OTHER_CLASSIFIER.match(name)
            if m:
                parts[f"{m.group(1)} classifier"] = parts.get(f"{m.group(1)} classifier", 0) + ir
    parts["rest of the loop (bursts, verdicts, counters, records)"] = total - sum(parts.values())
    return list(parts.items()), total


def print_split(callgrind_out, packets, title):
    parts, total = split(callgrind_out)
    print(f"\n{title}: where the instructions of the packet loop go (callgrind, inclusive)")
    print(f"{'part':<56} {'Ir/packet':>10} {'share':>7}")
    for part, ir in parts:
        if ir:
            print(f"{part:<56} {ir / packets:>10,.0f} {ir / total:>6.1%}")
    print(f"{'packet loop (Worker::run)':<56} {total / packets:>10,.0f} {1:>6.0%}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print_split(sys.argv[1], int(sys.argv[2]), sys.argv[1])
