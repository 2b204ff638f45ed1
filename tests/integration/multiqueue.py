#!/usr/bin/python3
"""Helpers of tests/integration/multiqueue.sh (scapy and JSON work kept out of bash).

  multiqueue.py make DEMO.pcap OUT.pcap      the demo capture plus small DNS flows before it
  multiqueue.py send PCAP IFACE              replays PCAP on IFACE at its own pace
  multiqueue.py queues STATUS.json           prints "QUEUE PACKETS WORKER_PACKETS" per RX queue
                                             (worker of the queue's number), then rx_missed
  multiqueue.py verdicts PCAP.jsonl LIVE.jsonl   compares the flows' apps, then their packets
                                                 per direction; exit 1 on a difference
"""
import json
import sys


def make(demo, out):
    from scapy.all import DNS, DNSQR, DNSRR, IP, UDP, Ether, rdpcap, wrpcap

    packets = list(rdpcap(demo))
    # The demo holds a dozen flows: with two queues, the kernel's flow hash could put them
    # all on one. Two dozen more flows make "both queues received packets" a near certainty
    # (all on one queue: about 2^-35) without depending on the kernel's hash seed.
    extra = []
    start = float(packets[0].time) - 1.0
    for i in range(24):
        # Addresses apart in every byte: 24 flows from one /24 to one server all hashed to
        # the same queue here, as did the demo's flows (one subscriber).
        client, server = f"10.{i + 1}.{i * 7 % 256}.{i * 13 % 250 + 1}", f"172.16.{i}.53"
        name = f"host{i}.example.net"
        query = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
                 IP(src=client, dst=server) / UDP(sport=40000 + i, dport=53) /
                 DNS(id=i, rd=1, qd=DNSQR(qname=name)))
        answer = (Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") /
                  IP(src=server, dst=client) / UDP(sport=53, dport=40000 + i) /
                  DNS(id=i, qr=1, ra=1, qd=DNSQR(qname=name),
                      an=DNSRR(rrname=name, rdata=f"192.0.2.{i + 1}")))
        query.time = start + i * 0.02
        answer.time = query.time + 0.005
        extra += [query, answer]
    wrpcap(out, extra + packets)
    print(len(extra) + len(packets))


def send(pcap, iface):
    from scapy.all import rdpcap, sendp

    packets = rdpcap(pcap)
    # At the capture's own pace: classifiers that judge timing (SIP inside TLS by behaviour)
    # must see what they see from the file.
    sendp(packets, iface=iface, realtime=True, verbose=False)
    print(len(packets))


def queues(status_path):
    with open(status_path) as f:
        status = json.load(f)
    workers = {worker["worker"]: worker["packets"] for worker in status["workers"]}
    for queue in status["queues"]:
        print(queue["queue"], queue["packets"], workers.get(queue["queue"], -1))
    print("rx_missed", sum(port["rx_missed"] for port in status["ports"]))


def verdicts(pcap_path, live_path):
    def flows(path, with_packets):
        found = set()
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                flow = (f"{r['proto']} {r['src_ip']}:{r['src_port']} -> "
                        f"{r['dst_ip']}:{r['dst_port']} -> {r['app']}")
                # A flow whose directions reached different workers would end as two
                # records with part of the packets each.
                if with_packets:
                    flow += f" ({r['pkts_c2s']}+{r['pkts_s2c']} packets)"
                found.add(flow)
        return found

    differ = False
    for with_packets in (False, True):
        from_file, live = flows(pcap_path, with_packets), flows(live_path, with_packets)
        for line in sorted(from_file - live):
            print(f"only through --pcap: {line}")
        for line in sorted(live - from_file):
            print(f"only through af_packet: {line}")
        print(f"{len(from_file & live)} flow {'packet counts' if with_packets else 'verdicts'} "
              f"in common, {len(from_file ^ live)} different")
        differ = differ or from_file != live
    return 1 if differ else 0


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "make":
        make(*args)
    elif command == "send":
        send(*args)
    elif command == "queues":
        queues(*args)
    elif command == "verdicts":
        sys.exit(verdicts(*args))
    else:
        sys.exit(f"unknown command {command}")
