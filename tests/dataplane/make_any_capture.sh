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
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$cli" 2>/dev/null || true
  ip netns del "$srv" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$cli"
ip netns add "$srv"
ip link add "${tag}a" type veth peer name "${tag}b"
ip link set "${tag}a" netns "$cli"
ip link set "${tag}b" netns "$srv"
ip -n "$cli" addr add 10.78.0.1/24 dev "${tag}a"
ip -n "$srv" addr add 10.78.0.2/24 dev "${tag}b"
ip -n "$cli" addr add fd00:78::1/64 dev "${tag}a" nodad
ip -n "$srv" addr add fd00:78::2/64 dev "${tag}b" nodad
ip -n "$cli" link set "${tag}a" up
ip -n "$srv" link set "${tag}b" up
ip -n "$cli" link set lo up
ip -n "$srv" link set lo up
ip netns exec "$cli" ethtool -K "${tag}a" tso off gso off gro off >/dev/null 2>&1 || true
ip netns exec "$srv" ethtool -K "${tag}b" tso off gso off gro off >/dev/null 2>&1 || true

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
