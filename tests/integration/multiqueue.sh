#!/usr/bin/env bash
# Multi-queue as on a NIC: the real binary reads a veth through DPDK's af_packet PMD with two
# queue pairs and two workers, so each worker polls its own RX queue (no fan-out between). The
# kernel spreads packets over the queues with its symmetric flow hash (PACKET_FANOUT_HASH), as
# RSS with a symmetric key does on a NIC.
#
# A source namespace replays the demo capture (plus two dozen DNS flows, see multiqueue.py)
# at its own pace into a veth whose peer sits in the appliance's namespace. Checks:
#   - the run exits 0 and its conservation line holds;
#   - both queues received packets, and worker N processed what queue N received (no fan-out
#     in between) (/api/v1/status `queues[]` and `workers[]`, scraped during the run);
#   - received == sent - lost, where sent is the source veth's tx_packets, and lost is what
#     the kernel reports losing on the way in: the appliance veth's rx_dropped plus the
#     port's rx_missed (DPDK 22.11's af_packet PMD does not read its sockets' drop counts, so
#     that one stays 0: at the capture's pace a 512-frame ring never fills);
#   - two queue pairs read by one worker are refused at startup (the unread one would lose
#     packets silently);
#   - the flows' apps ("proto ends -> app") equal those of the same packets through --pcap,
#     and so do their packets per direction (a flow split over two queues would not).
# Needs root and `ip netns`; exits 77 (skipped) without them. Names carry the PID, and
# everything made is removed on exit, failed or not.
#     tests/integration/multiqueue.sh   (OTTSCOPE_BINARY and OTTSCOPE_SOURCE_ROOT from meson)
set -euo pipefail

skip() {
  echo "SKIP: $*"
  exit 77
}
[[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces, veth)"
if ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
  skip "ip netns is unavailable"
fi
python=/usr/bin/python3
"$python" -c "import scapy" 2>/dev/null || skip "python3-scapy is not installed"

root=${OTTSCOPE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
binary=${OTTSCOPE_BINARY:-$root/build/ottscope}
helper="$root/tests/integration/multiqueue.py"
# Long enough for a loaded machine to start the appliance and replay ~40 s of capture.
duration=70

tag=mq$$
src_ns=${tag}src
dut_ns=${tag}dut
src_if=${tag}s
dut_if=${tag}d
work=$(mktemp -d)
appliance_pid=
sender_pid=
cleanup() {
  set +e  # remove everything even when a step fails (the appliance may have exited already)
  [[ -n $sender_pid ]] && kill "$sender_pid" 2>/dev/null
  [[ -n $appliance_pid ]] && kill "$appliance_pid" 2>/dev/null
  wait 2>/dev/null
  ip netns del "$src_ns" 2>/dev/null
  ip netns del "$dut_ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM  # a meson timeout cleans up too

fail() {
  echo "FAIL: $*"
  exit 1
}

ip netns add "$src_ns" || skip "cannot create a network namespace"
ip netns add "$dut_ns"
for ns in "$src_ns" "$dut_ns"; do
  # No IPv6 (no router solicitations, DAD, MLD) and no addresses (no ARP): the only frames
  # on the link are the replayed ones, so sent and received can be compared exactly.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip link add "$src_if" netns "$src_ns" type veth peer name "$dut_if" netns "$dut_ns"
ip -n "$src_ns" link set "$src_if" up
ip -n "$dut_ns" link set "$dut_if" up

link_stat() {  # NAMESPACE IFACE COUNTER
  ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}

"$python" "$helper" make "$root/config/demo/tume-demo.pcap" "$work/sent.pcap" >/dev/null

# The shipped configuration with the veth as its only port, rules from the source tree.
rules="files: [\"$root/config/rules.d/*.yaml\"]"
sed -e "s|^  files: .*|  $rules|" "$root/config/ottscope.yaml" >"$work/file.yaml"
port="net_af_packet0,iface=$dut_if,qpairs=2,blocksz=4096,framesz=2048,framecnt=512"
sed -e "s|^ports: \[\]|ports:\n  - name: veth\n    device: \"$port\"|" "$work/file.yaml" \
  >"$work/live.yaml"
grep -q "net_af_packet0" "$work/live.yaml" || fail "could not write the port into the config"

# The appliance has a namespace of its own, so any loopback port is free there.
api=127.0.0.1:9464
tx_before=$(link_stat "$src_ns" "$src_if" tx_packets)
rx_before=$(link_stat "$dut_ns" "$dut_if" rx_packets)
dropped_before=$(link_stat "$dut_ns" "$dut_if" rx_dropped)

ip netns exec "$dut_ns" "$binary" run -c "$work/live.yaml" --workers 2 --duration "$duration" \
  --metrics "$api" --flows-out "$work/live.jsonl" >"$work/live.out" 2>&1 &
appliance_pid=$!
for _ in $(seq 600); do
  ip netns exec "$dut_ns" curl -sf -o "$work/status.json" "http://$api/api/v1/status" && break
  kill -0 "$appliance_pid" 2>/dev/null || break
  sleep 0.1
done
if ! kill -0 "$appliance_pid" 2>/dev/null || [[ ! -s $work/status.json ]]; then
  cat "$work/live.out"
  fail "the appliance did not start on $port"
fi
start=$SECONDS

ip netns exec "$src_ns" "$python" "$helper" send "$work/sent.pcap" "$src_if" >"$work/sent.count" &
sender_pid=$!
wait "$sender_pid" || fail "the sender failed"
sender_pid=
sent_by_scapy=$(cat "$work/sent.count")
(( SECONDS - start < duration - 5 )) || fail "replay took $((SECONDS - start)) s, too close to --duration $duration"
sleep 2  # the last frames reach the workers
ip netns exec "$dut_ns" curl -sf -o "$work/status.json" "http://$api/api/v1/status" ||
  fail "no /api/v1/status after the replay"
ip netns exec "$dut_ns" curl -sf -o "$work/metrics.txt" "http://$api/metrics" ||
  fail "no /metrics after the replay"

set +e
wait "$appliance_pid"
status=$?
set -e
appliance_pid=
cat "$work/live.out"
[[ $status -eq 0 ]] || fail "the appliance exited with status $status"

sent=$(($(link_stat "$src_ns" "$src_if" tx_packets) - tx_before))
arrived=$(($(link_stat "$dut_ns" "$dut_if" rx_packets) - rx_before))
dropped=$(($(link_stat "$dut_ns" "$dut_if" rx_dropped) - dropped_before))
mapfile -t queue_lines < <("$python" "$helper" queues "$work/status.json")
missed=${queue_lines[-1]#rx_missed }
unset 'queue_lines[-1]'
grep '^ottscope_rx_packets_total' "$work/metrics.txt"

conservation=$(grep '^conservation: ' "$work/live.out" || true)
[[ $conservation == *": holds" ]] || fail "conservation does not hold: $conservation"
received=$(sed -E 's/^conservation: received ([0-9]+) .*/\1/' <<<"$conservation")

echo "scapy sent $sent_by_scapy frames; veth tx $sent, peer rx $arrived (rx_dropped $dropped);" \
  "af_packet rx_missed $missed; appliance received $received"
(( sent == sent_by_scapy )) || fail "the source veth sent $sent frames, scapy $sent_by_scapy"
(( received == sent - dropped - missed )) ||
  fail "received $received != sent $sent - rx_dropped $dropped - rx_missed $missed"

(( ${#queue_lines[@]} == 2 )) || fail "expected 2 RX queues, got: ${queue_lines[*]}"
for line in "${queue_lines[@]}"; do
  read -r queue packets processed <<<"$line"
  echo "queue $queue: $packets packets, worker $queue processed $processed"
  (( packets > 0 )) || fail "queue $queue received nothing"
  (( processed == packets )) || fail "worker $queue processed $processed, its queue received $packets"
done

# One worker cannot read two queue pairs: refused, not half the traffic silently lost.
set +e
ip netns exec "$dut_ns" "$binary" run -c "$work/live.yaml" --workers 1 --duration 1 \
  --metrics "$api" >"$work/one-worker.out" 2>&1
status=$?
set -e
cat "$work/one-worker.out"
if [[ $status -ne 1 ]] || ! grep -q "give it qpairs equal to the workers" "$work/one-worker.out"; then
  fail "2 queue pairs with 1 worker: expected a refusal, got status $status"
fi

# The same packets from the file, through the net_pcap vdev read by worker 0 for both workers.
"$binary" run -c "$work/file.yaml" --pcap "$work/sent.pcap" --workers 2 \
  --metrics 127.0.0.1:0 --flows-out "$work/file.jsonl" >"$work/file.out" 2>&1 ||
  { cat "$work/file.out"; fail "the --pcap run failed"; }
"$python" "$helper" verdicts "$work/file.jsonl" "$work/live.jsonl" ||
  fail "the flows' apps differ between --pcap and af_packet"
echo "PASS: 2 queues, $received of $sent frames, flow verdicts as through --pcap"
