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
  - a queue per worker, as a NIC's RSS delivers traffic: the capture split by the symmetric
    Toeplitz hash the appliance asks NICs for (split_capture, cached in --workdir), ottscope
    with 1 and 2 workers each reading its own queue from memory (run --pcap-queues --loop),
    and testpmd rxonly on 2 queues; then the scaling of 2 lcores against 1.
Prints packets/s, Gb/s (frame bytes), per-core figures, wall time, peak RSS and the ratios
to ndpiReader and to testpmd per core.
Then the cost per packet in instructions, which load on the machine does not change:
callgrind on the first --slice packets of the capture, counting only the packet loop
(ottscope's Worker::run and Fanout::run, ndpiReader's pcap_loop: reading the file, decoding,
flow lookup, classification; not setup nor the final report).
Then, flow by flow, the nDPI verdicts of both tools on the capture (the target is 3x
ndpiReader's packets/s *with the same nDPI verdicts*): ndpiReader run as for the oracle's
expected outputs (../shared/pcaps/README.md), ottscope with 1 and 2 workers writing flow
records, matched by the oracle's rules (tests/oracle/ndpi_oracle_test.cpp): protocol, VLAN and
the two endpoints in either order, addresses compared as addresses, nDPI's name after the
slash against the record's `ndpi`, agreement when the names are equal. Per flow kind of the
capture's sidecar (.flows.tsv), and every class of disagreement with what explains it.
With --ablation (or --only ablation), each optimisation that `ottscope run --without NAME`
can turn off is measured off against all on, in the same run (see ABLATIONS).
Not a test: figures depend on the machine; run it by hand.

  python3 tests/bench/bench.py [--binary build/ottscope] [--seconds 10] [--workdir /tmp/ottscope-bench]
                               [--slice 20000] [--only throughput|verdicts|ablation] [--ablation]
                               [--repeats 3] [--verdict-workers 1,2]
"""
import argparse
import collections
import glob
import ipaddress
import json
import mmap
import os
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# The figures are taken with the shipped configuration and rules (config/ottscope.yaml,
# rules.d), whatever /etc/ottscope holds: runs without -c read the checkout's configuration.
os.environ.setdefault("OTTSCOPE_SYSTEM_CONFIG", "")
os.environ.setdefault("OTTSCOPE_CHECKOUT_CONFIG", os.path.join(ROOT, "config", "ottscope.yaml"))
sys.path.insert(0, HERE)
from callgrind_split import print_split  # noqa: E402


def timed(cmd):
    """Runs cmd under /usr/bin/time -v; returns (stdout, wall seconds, peak RSS MiB)."""
    started = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    seconds = time.monotonic() - started  # /usr/bin/time's own figure has 10 ms steps
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    return p.stdout, seconds, rss


def testpmd_rxonly(pcap, packets, seconds, workdir, queue_files=None):
    """dpdk-testpmd rxonly on net_pcap with infinite_rx=1 for `seconds` of forwarding; with
    `queue_files`, one RX queue per file (as `ottscope run --pcap-queues`), each forwarded
    by an lcore of its own (`packets`: of all the files together).

    Returns (packets, bytes, seconds measured, wall seconds, peak RSS MiB). The rate comes
    from testpmd's own periodic samples: each gives cumulative RX packets and bytes and the
    rate since the previous sample (from the TSC), so the interval each covers is known.
    """
    files = queue_files or [pcap]
    testpmd = shutil.which("dpdk-testpmd")
    if testpmd is None:
        sys.exit("dpdk-testpmd is absent: install the Debian package dpdk-dev")
    prefix = f"ottscope-bench-testpmd-{os.getpid()}"
    # infinite_rx preloads the whole capture into mbufs, then copies each packet into a fresh
    # one per receive: room for every packet of the file plus the rings and caches, with the
    # footprint per mbuf ottscope reserves (the allocator needs slack for one huge pool).
    mbufs = packets + 32768
    memory_mb = mbufs * 4096 // (1 << 20) + 512
    # The main lcore only prints the statistics (it sleeps between): with a queue per core it
    # shares the last core with a forwarding lcore.
    queues = len(files)
    cores = os.cpu_count()
    lcores = (["-l", "0,1"] if queues == 1 else
              ["--lcores", ",".join([f"0@{cores - 1}"] +
                                    [f"{q + 1}@{q % cores}" for q in range(queues)])])
    cmd = [testpmd, "--no-huge", "--no-pci", "--no-shconf", "-m", str(memory_mb),
           "--file-prefix", prefix] + lcores + ["--log-level=pmd.net.pcap:error",
           "--vdev=net_pcap0," + "".join(f"rx_pcap={f}," for f in files) + "infinite_rx=1", "--",
           "--forward-mode=rxonly", f"--nb-cores={queues}", "--stats-period", "1",
           "--no-mlockall", f"--total-num-mbufs={mbufs}"]
    # testpmd forwards queue i to TX queue i: as many TX queues (the PMD drops what they get).
    if queues > 1:
        cmd += [f"--rxq={queues}", f"--txq={queues}"]
    log_path = os.path.join(workdir, "testpmd.log" if queues == 1 else f"testpmd.{queues}q.log")
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


# A NIC's RSS as the appliance configures it (dataplane/ports.cpp, start_ports): the Toeplitz
# hash of the outer IPv4 or IPv6 source and destination addresses (rss_hf RTE_ETH_RSS_IP: no
# ports, so fragments go with their flow) under kSymmetricRssKey, then the redirection table
# DPDK's drivers fill by default, entry i -> queue i % queues; 128 entries, as on many NICs.
SYMMETRIC_RSS_KEY = bytes([0x6d, 0x5a] * 20)
RETA_ENTRIES = 128
VLAN_TPIDS = (0x8100, 0x88a8, 0x9100)
LINKTYPE_ETHERNET = 1
LINKTYPES_RAW_IP = (101, 228, 229, 12, 14)  # RAW, IPV4, IPV6 and the BSDs' numbers of RAW


def toeplitz(key, data):
    """The Toeplitz hash of `data` under `key`, by its definition, bit by bit: for every set
    bit i of the input (first byte's high bit first), the 32 key bits from bit i on are
    XORed in. Slow; the reference for rss_table."""
    width = len(key) * 8
    if width < len(data) * 8 + 31:
        raise ValueError(f"a {len(key)}-byte key hashes at most {(width - 31) // 8} bytes")
    k = int.from_bytes(key, "big")
    h = 0
    for i in range(len(data) * 8):
        if data[i // 8] & (0x80 >> (i % 8)):
            h ^= (k >> (width - 32 - i)) & 0xFFFFFFFF
    return h


def rss_table(key=SYMMETRIC_RSS_KEY):
    """The hash of any address pair from one lookup, for a key that repeats every 16 bits.

    Toeplitz is linear (the hash of a XOR b is the XOR of the hashes), and with such a key
    the window of key bits each input bit meets depends only on its place in its 16-bit
    word, so every 16-bit word of the input weighs the same wherever it stands: the hash of
    the input is the hash of the XOR of its words (hence symmetric: swapping source and
    destination changes nothing). Returns the hash of every 16-bit word, 65,536 entries;
    rss_hash folds an input to its word. Built from the 16 one-bit words by linearity.
    """
    if key[2:] != key[:-2]:
        raise ValueError("the key does not repeat every 16 bits: hash with toeplitz()")
    bits = [toeplitz(key, (1 << (15 - b)).to_bytes(2, "big")) for b in range(16)]
    table = [0] * 65536
    for word in range(1, 65536):
        low = word & -word
        table[word] = table[word ^ low] ^ bits[15 - (low.bit_length() - 1)]
    return table


def rss_hash(table, addresses):
    """The symmetric-key Toeplitz hash of `addresses` (source then destination, 8 or 32
    bytes) through rss_table()'s table: the input folded to one 16-bit word."""
    x = int.from_bytes(addresses, "big")
    width = len(addresses) * 8
    while width > 16:
        width //= 2
        x = (x ^ (x >> width)) & ((1 << width) - 1)
    return table[x]


def rss_addresses(data, start, end, link):
    """The outer IP source and destination addresses of the frame data[start:end], as the
    NIC hashes them (VLAN tags skipped), or None for a frame that is not IP."""
    if link == LINKTYPE_ETHERNET:
        if end - start < 14:
            return None
        kind = data[start + 12] << 8 | data[start + 13]
        l3 = start + 14
        while kind in VLAN_TPIDS and l3 + 4 <= end:
            kind = data[l3 + 2] << 8 | data[l3 + 3]
            l3 += 4
    elif link in LINKTYPES_RAW_IP and end > start:
        l3 = start
        kind = {4: 0x0800, 6: 0x86DD}.get(data[start] >> 4)
    else:
        return None
    if kind == 0x0800 and l3 + 20 <= end and data[l3] >> 4 == 4:
        return data[l3 + 12:l3 + 20]
    if kind == 0x86DD and l3 + 40 <= end and data[l3] >> 4 == 6:
        return data[l3 + 8:l3 + 40]
    return None


def split_capture(pcap, n, workdir=None):
    """`pcap` split into `n` captures as a NIC's RSS would spread it over `n` queues (see
    SYMMETRIC_RSS_KEY), for `ottscope run --pcap-queues`: both directions of every flow land
    in one file, frames that are not IP in the first. Cached in `workdir` (default: beside
    `pcap`) under names that hold n and the source's size and time. Prints the packets of
    each file; returns their paths (`pcap` itself for n = 1)."""
    if n == 1:
        return [pcap]
    st = os.stat(pcap)
    base = os.path.join(workdir or os.path.dirname(pcap),
                        f"{os.path.basename(pcap)}.rss{n}-{st.st_size}-{int(st.st_mtime)}")
    paths = [f"{base}.q{q}.pcap" for q in range(n)]
    counts_path = base + ".counts.json"
    if os.path.exists(counts_path) and all(os.path.exists(p) for p in paths):
        with open(counts_path) as f:
            counts = json.load(f)
    else:
        # Splits of an earlier version of the capture (write_slice writes its slice anew on
        # every run) are of no more use.
        for stale in glob.glob(glob.escape(os.path.join(
                workdir or os.path.dirname(pcap), f"{os.path.basename(pcap)}.rss{n}-")) + "*"):
            os.remove(stale)
        started = time.monotonic()
        counts = write_split(pcap, paths)
        with open(counts_path, "w") as f:  # last: the files before it are whole
            json.dump(counts, f)
        print(f"split {pcap} by RSS into {n} files in {time.monotonic() - started:.1f} s")
    total = sum(counts)
    print(f"RSS split of {pcap} ({total} packets) into {n} queues: " + ", ".join(
        f"queue {q} {c} ({100 * c / total:.1f}%)" for q, c in enumerate(counts)))
    return paths


def write_split(pcap, paths):
    """Writes the frames of `pcap` to `paths` by RSS queue; returns the packets of each."""
    n = len(paths)
    table = rss_table()
    counts = [0] * n
    # Every address pair the capture holds, in either order, with its queue: a pair in two
    # queues would split a flow between two workers.
    pairs = {}
    with open(pcap, "rb") as src, mmap.mmap(src.fileno(), 0, access=mmap.ACCESS_READ) as data:
        magic = data[:4]
        order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        if magic not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4",
                         b"\xa1\xb2\x3c\x4d"):
            sys.exit(f"{pcap}: not a pcap file (pcapng is not split)")
        link = struct.unpack(order + "I", data[20:24])[0] & 0xFFFF
        record = struct.Struct(order + "IIII")
        outs = [open(path + ".part", "wb", buffering=1 << 20) for path in paths]
        for out in outs:
            out.write(data[:24])
        pos, size = 24, len(data)
        while pos + 16 <= size:
            length = record.unpack_from(data, pos)[2]
            end = pos + 16 + length
            if end > size:
                sys.exit(f"{pcap}: truncated record at byte {pos}")
            addresses = rss_addresses(data, pos + 16, end, link)
            queue = 0
            if addresses is not None:
                queue = (rss_hash(table, addresses) & (RETA_ENTRIES - 1)) % n
                half = len(addresses) // 2
                a, b = addresses[:half], addresses[half:]
                earlier = pairs.setdefault(a + b if a <= b else b + a, queue)
                if earlier != queue:
                    sys.exit(f"{pcap}: the packet at byte {pos} hashes to queue {queue}, earlier "
                             f"packets between the same two addresses to queue {earlier}")
            outs[queue].write(data[pos:end])
            counts[queue] += 1
            pos = end
        for out in outs:
            out.close()
    for path in paths:
        os.replace(path + ".part", path)
    return counts


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


# nDPI verdicts flow by flow. The rules are the oracle's (tests/oracle/ndpi_oracle_test.cpp):
# a flow is its protocol, VLAN and two endpoints in either order, addresses compared as
# addresses; ndpiReader's name is the part after the slash of its [proto: ...] bracket and
# agrees when it equals the record's `ndpi` field.

# A flow line of ndpiReader -v 2 output (the oracle's pattern, with the VLAN kept).
NDPI_READER_FLOW = re.compile(
    r"^\s*\d+\s+(TCP|UDP)\s+(\[[^\]]+\]|[^\s\[]+):(\d+)\s+<?->\s+(\[[^\]]+\]|[^\s\[]+):(\d+)\s+"
    r"(?:\[VLAN: (\d+)\])?\s*\[proto:\s*(?:\w+:)?[\d.]+/([^\]]+)\]")
NDPI_READER_CONFIDENCE = re.compile(r"\[Confidence: ([^\]]+)\]")
NDPI_READER_PACKETS = re.compile(r"\[(\d+) pkts/\d+ bytes (?:<->|->) (\d+) pkts/")

NdpiReaderFlow = collections.namedtuple("NdpiReaderFlow", "ids name confidence packets")


def canonical(address):
    """An address as text in one spelling (RFC 5952 for IPv6, as ottscope writes it)."""
    try:
        return str(ipaddress.ip_address(address.strip("[]")))
    except ValueError:
        return address


def address_readings(text):
    """The addresses an endpoint as ndpiReader 4.2 prints it can stand for, canonical.

    ndpiReader writes IPv6 with inet_ntop, then its patchIPv6Address() turns every ":0:" into
    "::". One zero group alone is what the oracle's canonical_address undoes; two of them, as
    in every IPv6 address of the bench capture (2001:db8:0:ff:6468:fbab:0:1 is printed
    "2001:db8::ff:6468:fbab::1"), leave several "::" that no parser reads (the oracle's
    inet_pton refuses them). Each "::" is one zero group but for at most one, inet_ntop's
    own run of several: when the groups add up to eight in more than one way, every reading
    is returned, and the caller takes the one the other side has.
    """
    text = text.strip("[]")
    parts = text.split("::")
    if len(parts) <= 2:
        return [canonical(text)]
    gaps = len(parts) - 1
    known = sum(len(part.split(":")) for part in parts if part)
    readings = []
    for long_gap in range(gaps):
        runs = [1] * gaps
        runs[long_gap] = 8 - known - (gaps - 1)
        if runs[long_gap] < 1:
            continue
        groups = []
        for i, part in enumerate(parts):
            groups += part.split(":") if part else []
            groups += ["0"] * (runs[i] if i < gaps else 0)
        try:
            readings.append(str(ipaddress.IPv6Address(":".join(groups))))
        except ValueError:
            pass
    return list(dict.fromkeys(readings)) or [text]


def flow_id(proto, a, a_port, b, b_port, vlan):
    """A flow as both tools name it (the oracle's FlowId): protocol, VLAN, the two endpoints
    (canonical addresses) in either order."""
    left, right = f"{a}#{a_port}", f"{b}#{b_port}"
    if right < left:
        left, right = right, left
    return (proto.upper(), str(vlan or 0), left, right)


def flow_text(fid):
    proto, vlan, left, right = fid
    ends = [f"[{a}]:{p}" if ":" in a else f"{a}:{p}"
            for a, p in (end.rsplit("#", 1) for end in (left, right))]
    return f"{proto} {ends[0]} <-> {ends[1]}" + (f" vlan {vlan}" if vlan != "0" else "")


def ndpi_reader_flows(lines):
    """ndpiReader's flows from the lines of its -w output."""
    flows = []
    for line in lines:
        m = NDPI_READER_FLOW.match(line)
        if not m:
            continue
        proto, a, a_port, b, b_port, vlan, name = m.groups()
        ids = [flow_id(proto, x, a_port, y, b_port, vlan)
               for x in address_readings(a) for y in address_readings(b)]
        confidence = NDPI_READER_CONFIDENCE.search(line)
        packets = NDPI_READER_PACKETS.search(line)
        flows.append(NdpiReaderFlow(ids, name, confidence.group(1) if confidence else "?",
                                    int(packets.group(1)) + int(packets.group(2)) if packets else 0))
    return flows


def ottscope_records(lines):
    """ottscope's flow records by flow id, earliest first: one 5-tuple holds several records
    when ottscope ended the flow (idle, FIN or RST) and a later packet started another."""
    records = collections.defaultdict(list)
    for line in lines:
        if line.strip():
            r = json.loads(line)
            records[flow_id(r["proto"], canonical(r["src_ip"]), r["src_port"], canonical(r["dst_ip"]),
                            r["dst_port"], r.get("vlan", 0))].append(r)
    for own in records.values():
        own.sort(key=lambda r: r["first_seen"])
    return records


def sidecar_kinds(lines):
    """Flow id -> kind (tls-web, dns, ...) from mkbench.py's .flows.tsv sidecar."""
    rows = iter(lines)
    header = next(rows).rstrip("\n").split("\t")
    kinds = {}
    for line in rows:
        row = dict(zip(header, line.rstrip("\n").split("\t")))
        fid = flow_id(row["proto"], canonical(row["client"]), row["cport"], canonical(row["server"]),
                      row["sport"], row["vlan"])
        kinds[fid] = row["kind"] if kinds.get(fid, row["kind"]) == row["kind"] else "(several)"
    return kinds


def packets_of(record):
    return record["pkts_c2s"] + record["pkts_s2c"]


def plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


# Classes seen on the bench capture (mkbench.py defaults, 20,000 flows), 1 and 2 workers alike:
# no flow with another name, none on one side only; 2 flows split by ottscope (explain_split):
# a SYN unanswered for 26.4 s (past tcp_embryonic, 20 s) whose handshake then opens a second
# record, and a last ACK 10.9 s after both FINs (past tcp_closed, 10 s) that opens a 1-packet
# record nDPI names by its port. ndpiReader keeps one flow each: it expires flows only live.
def explain_split(own):
    """Why ottscope has several records for one ndpiReader flow, from the records' own facts."""
    reasons = []
    for before, after in zip(own, own[1:]):
        gap = after["first_seen"] - before["last_seen"]
        if before["end_reason"] == "idle_timeout":
            state = ("TCP the server never answered: tcp_embryonic"
                     if before["proto"] == "TCP" and before["pkts_s2c"] == 0 else
                     "its protocol and TCP state")
            reasons.append(f"{gap:.1f} s without a packet after {plural(packets_of(before), 'pkt')}, "
                           f"longer than ottscope's idle timeout for {state}")
        elif before["end_reason"] in ("tcp_fin", "tcp_rst"):
            reasons.append(f"a packet {gap:.1f} s after the {before['end_reason']} close, past the "
                           "tcp_closed linger: it starts a new flow, named by nDPI's port guess")
        else:
            reasons.append(f"the first record ended by {before['end_reason']}")
        if after["src_port"] != before["src_port"]:
            reasons.append("the new record's src is the server: the first packet it saw came "
                           "from there")
    return "; ".join(reasons)


def explain_label(flow, own):
    """Why the names differ, from what both sides tell of the flow."""
    if not own:
        return ("ottscope has no flow with these endpoints: its decoder counted the packets "
                "elsewhere (not_ip, decode_error) or they are inside a tunnel it does not open")
    main = max(own, key=packets_of)
    if flow.confidence in ("Match by port", "Unknown") or main["confidence"] in ("none", "low"):
        return (f"a guess on one side (ndpiReader confidence {flow.confidence}, ottscope "
                f"{main['confidence']}): nDPI gave up after different packets ({flow.packets} in "
                f"ndpiReader's flow, {packets_of(main)} in ottscope's record, ended "
                f"{main['end_reason']})")
    if packets_of(main) < flow.packets:
        return (f"ottscope's record holds {packets_of(main)} of ndpiReader's {flow.packets} "
                f"packets (ended {main['end_reason']}): nDPI saw another part of the flow")
    return "same packets, different names: not explained, look at the flow with tshark"


class VerdictComparison:
    """ndpiReader's flows against ottscope's records of one run, sorted into classes."""

    def __init__(self, expected, records, kinds):
        self.compared = len(expected)
        self.records = sum(len(own) for own in records.values())
        self.same = 0          # the record with most packets has ndpiReader's name
        self.single = 0        # ... and is ottscope's only record of the flow
        self.pairs = collections.Counter()  # (ndpiReader, ottscope) names that differ
        self.examples = {}     # pair -> (flow id, explanation)
        self.splits = []       # (flow id, kind, ndpiReader name, records)
        self.confidence = collections.Counter()  # (ndpiReader's, ottscope's)
        self.kinds = collections.defaultdict(lambda: [0, 0])  # kind -> [flows, same]
        self.kind_names = collections.defaultdict(collections.Counter)
        self.labels = {}       # flow id -> ottscope's name (main record)
        matched = set()
        for flow in expected:
            fid = next((i for i in flow.ids if i in records), flow.ids[0])
            matched.add(fid)
            own = records.get(fid, [])
            main = max(own, key=packets_of) if own else None
            got = main["ndpi"] if main else None
            self.labels[fid] = got
            kind = kinds.get(fid, "(not in sidecar)")
            self.kinds[kind][0] += 1
            self.kind_names[kind][flow.name] += 1
            if main and main["classifier"] == "ndpi":  # else the confidence is another's
                self.confidence[(flow.confidence, main["confidence"])] += 1
            if got == flow.name:
                self.same += 1
                self.kinds[kind][1] += 1
                if len(own) == 1:
                    self.single += 1
                else:
                    self.splits.append((fid, kind, flow.name, own))
            else:
                self.pairs[(flow.name, got)] += 1
                self.examples.setdefault((flow.name, got), (fid, explain_label(flow, own)))
        self.only_ndpi_reader = sum(1 for flow in expected if not any(i in records for i in flow.ids))
        self.only_ottscope = [fid for fid in records if fid not in matched]


def run_verdicts(a, pcap):
    """Both tools on the capture with per-flow output; returns (ndpiReader flows, {workers:
    (records, processed packets)})."""
    ndpi_out = os.path.join(a.workdir, "verdicts.ndpiReader.out")
    # As the oracle's expected outputs were made (../shared/pcaps/README.md).
    p = subprocess.run(["ndpiReader", "-q", "-t", "-i", pcap, "-v", "2", "-w", ndpi_out],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"ndpiReader -w {ndpi_out} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    with open(ndpi_out, errors="replace") as f:
        expected = ndpi_reader_flows(f)
    runs = {}
    for workers in a.verdict_workers:
        flows_out = os.path.join(a.workdir, f"verdicts.ottscope.{workers}.jsonl")
        p = subprocess.run([a.binary, "run", "--pcap", pcap, "--workers", str(workers),
                            "--flows-out", flows_out, "--metrics", "127.0.0.1:0"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"ottscope --flows-out {flows_out} failed ({p.returncode}):\n"
                     f"{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
        with open(flows_out) as f:
            records = ottscope_records(f)
        processed = int(re.search(r"processed (\d+) packets", p.stdout).group(1))
        runs[workers] = (records, processed)
    return expected, runs


def workers_name(workers):
    return f"{workers} worker{'s' if workers > 1 else ''}"


def print_verdicts(pcap, expected, runs, kinds, top):
    comparisons = {w: VerdictComparison(expected, records, kinds) for w, (records, _) in runs.items()}
    first = next(iter(comparisons))
    print(f"\nnDPI verdicts flow by flow on {pcap}: ndpiReader 4.2 (-q -t -v 2 -w) against the "
          "`ndpi` field of ottscope's flow records, matched as the oracle does (protocol, VLAN, "
          "both endpoints in either order)")
    print(f"{'ottscope':<10} {'flows':>7} {'records':>8} {'same label':>18} "
          f"{'one record, same':>18} {'only ndpiReader':>16} {'only ottscope':>14} "
          f"{'record packets':>15}")
    for workers, c in comparisons.items():
        records, processed = runs[workers]
        in_records = sum(packets_of(r) for own in records.values() for r in own)
        print(f"{workers_name(workers):<10} {c.compared:>7} {c.records:>8} "
              f"{c.same:>9} {100 * c.same / max(c.compared, 1):>7.2f}% "
              f"{c.single:>9} {100 * c.single / max(c.compared, 1):>7.2f}% "
              f"{c.only_ndpi_reader:>16} {len(c.only_ottscope):>14} "
              f"{'all' if in_records == processed else f'{in_records}/{processed}':>15}")
    for workers, c in comparisons.items():
        if workers != first:
            differ = sum(1 for fid, got in c.labels.items() if comparisons[first].labels.get(fid) != got)
            print(f"{workers_name(workers)} against {workers_name(first)}: {differ} flows with "
                  "another label")

    if kinds:
        print(f"\n{'flow kind (sidecar)':<20} {'flows':>7} " +
              " ".join(f"{'same, ' + workers_name(w):>18}" for w in comparisons) +
              "   ndpiReader's labels")
        for kind in sorted(comparisons[first].kinds, key=lambda k: -comparisons[first].kinds[k][0]):
            flows = comparisons[first].kinds[kind][0]
            names = ", ".join(f"{n} {c}" for n, c in comparisons[first].kind_names[kind].most_common(3))
            more = len(comparisons[first].kind_names[kind]) - 3
            print(f"{kind:<20} {flows:>7} " +
                  " ".join(f"{100 * c.kinds[kind][1] / flows:>17.2f}%" for c in comparisons.values()) +
                  f"   {names}{f' (+{more} more)' if more > 0 else ''}")

    for workers, c in comparisons.items():
        if workers != first and c.pairs == comparisons[first].pairs and \
                [s[0] for s in c.splits] == [s[0] for s in comparisons[first].splits] and \
                c.only_ottscope == comparisons[first].only_ottscope:
            print(f"\n{workers_name(workers)}: the same disagreements, splits and extra flows as "
                  f"{workers_name(first)}")
            continue
        print(f"\n{workers_name(workers)}: disagreements, ndpiReader -> ottscope "
              f"({sum(c.pairs.values())} flows{', top ' + str(top) if len(c.pairs) > top else ''}):"
              f"{' none' if not c.pairs else ''}")
        for (name, got), n in c.pairs.most_common(top):
            fid, why = c.examples[(name, got)]
            print(f"  {n:>6}  {name} -> {got or '(no flow)'}  e.g. {flow_text(fid)}: {why}")
        print(f"{workers_name(workers)}: flows ottscope split into several records, judged by the "
              f"record with most packets ({len(c.splits)}):{' none' if not c.splits else ''}")
        for fid, kind, name, own in c.splits[:top]:
            parts = ", ".join(f"{r['ndpi']} ({plural(packets_of(r), 'pkt')}, {r['end_reason']})"
                              for r in own)
            print(f"  {flow_text(fid)} ({kind}), ndpiReader {name}: ottscope {parts}: "
                  f"{explain_split(own)}")
        if c.only_ottscope:
            print(f"{workers_name(workers)}: flows only ottscope has ({len(c.only_ottscope)}):")
            for fid in c.only_ottscope[:top]:
                own = runs[workers][0][fid]
                print(f"  {flow_text(fid)} ({kinds.get(fid, 'not in sidecar')}): "
                      + ", ".join(f"{r['ndpi']} ({plural(packets_of(r), 'pkt')})" for r in own))

    print("\nconfidence, ndpiReader -> ottscope, flows nDPI named in ottscope (" +
          workers_name(first) + "): " +
          ", ".join(f"{n} -> {o} {k}" for (n, o), k in comparisons[first].confidence.most_common()))
    print("Splits: ndpiReader 4.2 expires flows only on live captures (its idle scan runs under "
          "`if(live_capture)`), so in a file one 5-tuple is one flow from first to last packet; "
          "ottscope ends flows by idle timeout and TCP close as on a live link, and a later packet "
          "of the same 5-tuple starts a new record. The record with most packets speaks for the "
          "flow in `same label`; `one record, same` also asks for no split.")
    if comparisons[first].confidence.get(("Match by port", "high")):
        print("Match by port -> high: nDPI named these flows from the server port alone "
              "(unknown-tcp flows on a port nDPI knows); ottscope records the same name with "
              "confidence high, where rules on ports alone get medium.")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "ottscope"))
    ap.add_argument("--workdir", default="/tmp/ottscope-bench")
    ap.add_argument("--pcap", help="measure this capture instead of the mkbench.py one (the "
                                   "suite runs bench.py on a small capture this way)")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each --loop run")
    ap.add_argument("--slice", type=int, default=20000,
                    help="packets from the start of the capture measured under callgrind")
    ap.add_argument("--only", choices=["throughput", "verdicts", "ablation"],
                    help="run only the throughput measurements, the nDPI verdict comparison or "
                         "the optimisation ablation")
    ap.add_argument("--ablation", action="store_true",
                    help="also measure each optimisation on and off (ottscope run --without)")
    ap.add_argument("--whole-repeats", type=int, default=5,
                    help="interleaved runs of each tool on the file (the table and the whole-"
                         "process comparison show their medians)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="runs per variant of the ablation (the median is shown)")
    ap.add_argument("--verdict-workers", default="1,2", metavar="N,N",
                    type=lambda text: [int(n) for n in text.split(",")],
                    help="ottscope runs whose flow records are compared with ndpiReader")
    ap.add_argument("--top", type=int, default=10, help="lines per list of the verdict comparison")
    a = ap.parse_args()

    mkbench = os.path.join(ROOT, "..", "shared", "tools", "mkbench.py")
    if not a.pcap and not os.path.exists(mkbench):
        sys.exit("../shared/tools/mkbench.py is absent: the benchmark needs ../shared or --pcap")
    os.makedirs(a.workdir, exist_ok=True)
    pcap = os.path.abspath(a.pcap) if a.pcap else os.path.join(a.workdir, "bench.pcap")
    if a.pcap and not os.path.exists(pcap):
        sys.exit(f"{a.pcap}: no such capture")
    if not os.path.exists(pcap):
        print(f"writing {pcap} with mkbench.py (defaults)...", flush=True)
        subprocess.run([sys.executable, mkbench, "--out", pcap], check=True)
    if a.only in (None, "throughput"):
        throughput(a, pcap)
    if a.only == "ablation" or (a.only is None and a.ablation):
        ablation(a, pcap)
    if a.only in (None, "verdicts"):
        expected, runs = run_verdicts(a, pcap)
        kinds = {}
        if os.path.exists(pcap + ".flows.tsv"):
            with open(pcap + ".flows.tsv") as f:
                kinds = sidecar_kinds(f)
        print_verdicts(pcap, expected, runs, kinds, a.top)


# What `ottscope run --without NAME` turns off (control/run_command.h, kOptimisations), and
# the worker counts each is measured with; "a,b" turns both off (the nDPI shortcuts overlap:
# a flow tls-facts settles never reaches final-stop).
ABLATIONS = [("burst-lookup", 1), ("certificate-cache", 1), ("ndpi-lazy-state", 1),
             ("ndpi-final-stop", 1), ("ndpi-tls-facts", 1),
             ("ndpi-final-stop,ndpi-tls-facts", 1), ("fingerprint-memo", 1),
             ("quic-datagram-size", 1), ("packed-mbufs", 1),
             ("background-count", 1), ("modules-ahead", 1), ("modules-ahead", 2),
             ("receiver-worker", 2)]


def without_args(variant):
    """`ottscope run` arguments turning off the optimisations of a variant ("a,b": both)."""
    return [arg for name in (variant or "").split(",") if name for arg in ("--without", name)]


def ablation(a, pcap):
    """Each optimisation off against all on, in one run: the file read once per variant,
    variants interleaved and repeated (median shown), plus callgrind's instructions per packet
    on the slice, which machine load does not change."""
    with open(pcap, "rb") as f:
        while f.read(1 << 24):
            pass
    slice_pcap = os.path.join(a.workdir, f"slice-{a.slice}.pcap")
    slice_packets = write_slice(pcap, slice_pcap, a.slice)
    variants = []
    for workers in sorted({w for _, w in ABLATIONS}):
        variants.append((workers, None))
        variants += [(workers, name) for name, w in ABLATIONS if w == workers]
    runs = collections.defaultdict(list)
    for _ in range(a.repeats):
        for workers, name in variants:
            cmd = [a.binary, "run", "--pcap", pcap, "--workers", str(workers),
                   "--metrics", "127.0.0.1:0"] + without_args(name)
            out, wall, _ = timed(cmd)
            m = re.search(r"processed (\d+) packets \((\d+) bytes\) in ([\d.]+) s", out)
            runs[(workers, name)].append((int(m.group(1)) / float(m.group(3)), wall))
    loops = ["ottscope::Worker::run*", "ottscope::Fanout::run*"]
    ir = {}
    for workers, name in variants:
        cmd = [a.binary, "run", "--pcap", slice_pcap, "--workers", str(workers), "--metrics",
               "127.0.0.1:0"] + without_args(name)
        ir[(workers, name)] = callgrind_ir(cmd, loops, os.path.join(
            a.workdir, f"callgrind.ablation.{workers}.{name or 'all'}"))[0] / slice_packets
    print(f"\noptimisations, each turned off (ottscope run --without NAME), file read once, "
          f"median of {a.repeats}; Ir/packet on the first {slice_packets} packets")
    print(f"{'workers':>7} {'variant':<40} {'packets/s':>12} {'wall s':>7} {'Ir/packet':>10} "
          f"{'on vs off: pkt/s':>17} {'wall':>7} {'Ir':>7}")
    for workers, name in variants:
        pps = statistics.median(r[0] for r in runs[(workers, name)])
        wall = statistics.median(r[1] for r in runs[(workers, name)])
        base_pps = statistics.median(r[0] for r in runs[(workers, None)])
        base_wall = statistics.median(r[1] for r in runs[(workers, None)])
        label = "all on" if name is None else f"without {name}"
        gain = "" if name is None else (f"{base_pps / pps:>16.2f}x {wall / base_wall:>6.2f}x "
                                        f"{ir[(workers, name)] / ir[(workers, None)]:>6.2f}x")
        print(f"{workers:>7} {label:<40} {pps:>12,.0f} {wall:>7.2f} {ir[(workers, name)]:>10,.0f} "
              f"{gain}")
    print("on vs off: how much faster (pkt/s, wall) and cheaper (Ir) the appliance is with the "
          "optimisation than without it; above 1.00x it pays.")


def throughput(a, pcap):
    with open(pcap, "rb") as f:  # warm the page cache so both tools read from memory
        while f.read(1 << 24):
            pass
    cores = os.cpu_count()
    rows = []

    # The file rows: each tool run --whole-repeats times, interleaved, so that a slow spell of
    # the machine falls on every tool alike; the table shows medians.
    file_tools = [("ndpiReader 4.2", 1, ["ndpiReader", "-t", "-i", pcap, "-v", "0"])]
    for workers in (1, 2):
        file_tools.append((f"ottscope {workers} worker{'s' if workers > 1 else ''}", workers,
                           [a.binary, "run", "--pcap", pcap, "--workers", str(workers),
                            "--metrics", "127.0.0.1:0"]))
    file_runs = collections.defaultdict(list)
    packets = frame_bytes = None
    for _ in range(a.whole_repeats):
        for name, workers, cmd in file_tools:
            out, wall, rss = timed(cmd)
            if name.startswith("ndpiReader"):
                ms = float(re.search(r"Packet Processing Time:\s+(\d+) msec", out).group(1))
                packets = int(re.search(r"IP packets:\s+\d+\s+of (\d+) packets total",
                                        out).group(1))
                # whole milliseconds: a small capture can take "0 msec"
                n, seconds = packets, max(ms, 0.5) / 1000
            else:
                m = re.search(r"processed (\d+) packets \((\d+) bytes\) in ([\d.]+) s", out)
                n, frame_bytes, seconds = int(m.group(1)), int(m.group(2)), float(m.group(3))
            file_runs[name].append((n, seconds, wall, rss))
    for name, workers, _ in file_tools:
        runs = file_runs[name]
        rows.append([name, "file, 1 pass", workers, runs[0][0],
                     statistics.median(r[1] for r in runs), statistics.median(r[2] for r in runs),
                     statistics.median(r[3] for r in runs)])

    for workers in (1, 2):
        out, wall, rss = timed([a.binary, "run", "--pcap", pcap, "--workers", str(workers), "--loop",
                                "--duration", str(a.seconds), "--metrics", "127.0.0.1:0"])
        m = re.search(r"processed (\d+) packets \((\d+) bytes\) in ([\d.]+) s", out)
        rows.append([f"ottscope {workers} worker{'s' if workers > 1 else ''}", "memory, --loop",
                     workers, int(m.group(1)), float(m.group(3)), wall, rss,
                     int(m.group(2)) / int(m.group(1))])

    n, size, seconds, wall, rss = testpmd_rxonly(pcap, packets, a.seconds, a.workdir)
    rows.append(["dpdk-testpmd rxonly", "memory, infinite", 1, n, seconds, wall, rss, size / n])

    # A queue per worker, as a NIC's RSS delivers traffic (no fan-out hop): the capture split
    # by the symmetric hash, a file per worker read by it alone (ottscope run --pcap-queues);
    # 1 worker reads the whole capture as its one queue. testpmd on the same queues: the
    # ceiling a core can reach.
    split = {workers: split_capture(pcap, workers, a.workdir) for workers in (1, 2)}
    for workers in (1, 2):
        out, wall, rss = timed([a.binary, "run", "--pcap-queues", ",".join(split[workers]),
                                "--workers", str(workers), "--loop", "--duration", str(a.seconds),
                                "--metrics", "127.0.0.1:0"])
        m = re.search(r"processed (\d+) packets \((\d+) bytes\) in ([\d.]+) s", out)
        rows.append([f"ottscope {workers} worker{'s' if workers > 1 else ''}", QUEUE_PER_WORKER,
                     workers, int(m.group(1)), float(m.group(3)), wall, rss,
                     int(m.group(2)) / int(m.group(1))])
    n, size, seconds, wall, rss = testpmd_rxonly(pcap, packets, a.seconds, a.workdir, split[2])
    rows.append(["dpdk-testpmd rxonly", QUEUE_PER_WORKER, 2, n, seconds, wall, rss, size / n])

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
    # The slice split per worker as RSS would (no fan-out): 2 workers' cost in all against 1's.
    costs.append(("ottscope 2 queues", *callgrind_ir(
        [a.binary, "run", "--pcap-queues", ",".join(split_capture(slice_pcap, 2, a.workdir)),
         "--workers", "2", "--metrics", "127.0.0.1:0"], loops,
        os.path.join(a.workdir, "callgrind.ottscope.2q"))))
    m = re.search(r"processed (\d+) packets", costs[-1][2])
    if int(m.group(1)) != slice_packets:
        sys.exit(f"ottscope processed {m.group(1)} of the {slice_packets} split slice packets")

    bytes_per_packet = frame_bytes / packets
    base_pps = rows[0][3] / rows[0][4]
    testpmd_row = next(row for row in rows if row[:2] == ["dpdk-testpmd rxonly", "memory, infinite"])
    testpmd_per_core = testpmd_row[3] / testpmd_row[4]
    print(f"\ncapture: {pcap}: {packets} packets, {frame_bytes} frame bytes; {cores} cores here")
    print(f"{'tool':<20} {'input':<24} {'lcores':>6} {'packets/s':>12} {'Gb/s':>7} "
          f"{'pkt/s/core':>11} {'wall s':>7} {'RSS MiB':>8} {'x ndpiReader':>12} "
          f"{'x testpmd/core':>14} {'ottscope/core x':>15}")

    # lcores busy: one per worker (worker 0 also reads the capture: dataplane.fanout's
    # default, receiver), one per queue for testpmd, one for ndpiReader.
    def per_core_of(row):
        return row[3] / row[4] / min(row[2], cores)

    # ottscope 1 worker per core on the same input (the file, from memory through one queue,
    # split per worker), for the ratio of ottscope to each row; testpmd's one queue is
    # compared with --loop.
    own = {row[1]: per_core_of(row) for row in rows if row[0].startswith("ottscope 1 worker")}
    own["memory, infinite"] = own["memory, --loop"]
    for row in rows:
        name, mode, lcores, n, seconds, wall, rss = row[:7]
        size = row[7] if len(row) > 7 else bytes_per_packet
        pps = n / seconds
        per_core = per_core_of(row)
        print(f"{name:<20} {mode:<24} {lcores:>6} {pps:>12,.0f} {pps * size * 8 / 1e9:>7.2f} "
              f"{per_core:>11,.0f} {wall:>7.2f} {rss:>8.0f} {pps / base_pps:>11.2f}x "
              f"{per_core / testpmd_per_core:>13.3f}x "
              f"{own.get(mode, per_core) / per_core:>14.2f}x")
    print_scaling(rows)

    print(f"\ninstructions per packet (callgrind), first {slice_packets} packets: {slice_pcap}")
    print(f"{'tool':<20} {'counted in':<36} {'Ir':>14} {'Ir/packet':>10} {'x ndpiReader':>12}")
    for name, ir, _ in costs:
        where = ("pcap_loop" if name.startswith("ndpiReader") else
                 "Worker::run, a queue per worker" if name.endswith("queues") else
                 "Worker::run, Fanout::run")
        print(f"{name:<20} {where:<36} {ir:>14,} {ir / slice_packets:>10,.0f} "
              f"{ir / costs[0][1]:>11.2f}x")
    print("\nper core = packets/s divided by the cores the lcores could use; on a 2-core machine "
          "2 workers take both cores, worker 0 also reading the file and placing packets.")
    print("--loop replays the capture again and again from memory: its TCP connections close "
          "and open again every pass (SYN after FIN), so about three flows in four are new "
          "flows, classified again, each pass; UDP flows stay decided. Those rows classify as "
          "the file rows do, without reading the file.")
    print("testpmd rxonly receives and frees (the pcap PMD copies each preloaded packet into a "
          "fresh mbuf, as for ottscope --loop); its rate comes from its own 1 s samples after "
          "the capture is loaded; x testpmd/core compares per-core rates with that ceiling.")
    print("ottscope/core x: ottscope 1 worker's packets/s per core on the same input (file or "
          "memory) divided by the row's: what ottscope does per core against each tool.")
    print(f"{QUEUE_PER_WORKER}: the capture split by RSS's symmetric hash into a file per "
          "worker (split_capture), replayed from memory as one port with a queue per file, "
          "each queue read by its own worker (ottscope run --pcap-queues --loop): no fan-out; "
          "1 worker reads the whole capture as its queue. testpmd reads the same queues, an "
          "lcore each.")
    print("Ir counts the packet loops only (file reading through libpcap included for both): "
          "with 2 workers it adds worker 0's decode for placing and the ring hand-off; with 2 "
          "queues (the slice split per worker, --pcap-queues) there is none.")
    print_split(os.path.join(a.workdir, "callgrind.ottscope.1"), slice_packets,
                "ottscope 1 worker, first %d packets" % slice_packets)
    whole_process(a, [(name, file_runs[name]) for name, _, _ in file_tools])


QUEUE_PER_WORKER = "memory, queue per worker"


def print_scaling(rows):
    """2 workers (or testpmd's 2 queues) against 1 on the same input, from the table's rows:
    the rate's ratio and each core's rate against the one core's."""
    def rate(name, mode, lcores):
        row = next((r for r in rows if r[0] == name and r[1] == mode and r[2] == lcores), None)
        return row and row[3] / row[4]

    print("\nscaling, 2 lcores against 1 (targets for ottscope with a queue per worker: 2w/1w "
          ">= 1.80, per core >= 0.90 of 1 worker's)")
    print(f"{'tool':<20} {'input':<24} {'1 lcore pkt/s':>14} {'2 lcores pkt/s':>15} "
          f"{'2/1':>6} {'per core 2/1':>13}")
    for name, one, two in [("ottscope", ("ottscope 1 worker", QUEUE_PER_WORKER, 1),
                            ("ottscope 2 workers", QUEUE_PER_WORKER, 2)),
                           ("ottscope", ("ottscope 1 worker", "memory, --loop", 1),
                            ("ottscope 2 workers", "memory, --loop", 2)),
                           ("dpdk-testpmd rxonly", ("dpdk-testpmd rxonly", "memory, infinite", 1),
                            ("dpdk-testpmd rxonly", QUEUE_PER_WORKER, 2))]:
        first, second = rate(*one), rate(*two)
        if first and second:
            mode = two[1] if two[1] == QUEUE_PER_WORKER else f"{two[1]} (fan-out)"
            print(f"{name:<20} {mode:<24} {first:>14,.0f} {second:>15,.0f} "
                  f"{second / first:>5.2f}x {second / 2 / first:>12.2f}x")


def whole_process(a, runs_by_tool):
    """Whole processes on the file, start to exit, from the interleaved file runs: medians,
    spread and their ratios to ndpiReader's median."""
    reference = statistics.median(r[2] for r in runs_by_tool[0][1])
    print(f"\nwhole process on the file, start to exit, {a.whole_repeats} interleaved runs each")
    print(f"{'tool':<20} {'median s':>9} {'min s':>7} {'max s':>7} {'x ndpiReader':>13}")
    for name, runs in runs_by_tool:
        walls = [r[2] for r in runs]
        median = statistics.median(walls)
        print(f"{name:<20} {median:>9.3f} {min(walls):>7.3f} {max(walls):>7.3f} "
              f"{reference / median:>12.2f}x")


if __name__ == "__main__":
    main()
