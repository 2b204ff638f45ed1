#!/usr/bin/env bash
# Makes a LINUX_SLL2 capture the way operators make one: `tcpdump -i any` (libpcap 1.10 and
# later write LINUX_SLL2 for it) in a client namespace joined to a server namespace by a veth
# pair, so the file holds both outgoing and incoming packets with their interface index.
#     tests/dataplane/make_any_capture.sh OUT.pcap
# Traffic: an HTTP exchange over TCP (python3's http.server, curl), a UDP datagram to 5353
# over IPv6. Needs root (ip netns). Namespace names carry the PID
# so parallel runs do not collide.
set -euo pipefail
out=${1:?usage: make_any_capture.sh OUT.pcap}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../netns_capture_lib.sh
source "$here/../netns_capture_lib.sh"
tag=ots$$
cli=${tag}c
srv=${tag}s
netns_work_dir
netns_pair --no-offloads "$cli" "$srv" "${tag}a" "${tag}b" 10.78.0.1/24 10.78.0.2/24 \
  fd00:78::1/64 fd00:78::2/64

printf 'hello from the server\n' >"$work/index.html"
ip netns exec "$srv" /usr/bin/python3 -m http.server --bind 10.78.0.2 --directory "$work" 80 \
  >/dev/null 2>&1 &
pids+=($!)
# Only the test traffic: no IPv6 neighbour discovery or ARP, whose flows vary run to run.
tcpdump_start "$cli" any "$out" tcp or udp
tcpdump_pid=$TCPDUMP_PID
pids+=("$tcpdump_pid")
for _ in $(seq 50); do
  ip netns exec "$cli" curl -s -o /dev/null http://10.78.0.2/index.html && break
  sleep 0.1
done
ip netns exec "$cli" /usr/bin/python3 -c "
import socket
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.sendto(b'\0' * 12 + b'\x05local\0\0\x01\0\x01', ('fd00:78::2', 5353))
"
tcpdump_stop "$tcpdump_pid"
