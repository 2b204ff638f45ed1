#!/usr/bin/env bash
# Captures real QUIC handshakes between two network namespaces of our own: ngtcp2's
# gtlsserver (GnuTLS) on the server side, gtlsclient on the client side, tcpdump in the
# client namespace. One capture per case, in OUTDIR:
#   quic-v1.pcap           a plain QUIC v1 handshake and request (SNI quic.example.test)
#   quic-large-hello.pcap  a ClientHello with an FFDHE8192 key share (1 KB): its CRYPTO
#                          data spreads over two Initial packets
#   quic-retry.pcap        the server validates the address first (Retry): the client's
#                          next Initial has a new DCID, so new Initial keys
# (Debian 12's ngtcp2 0.12 knows only a draft of QUIC v2: v2 captures come from
# make_quic_crafted.py.)
# Needs root (ip netns) and the Debian packages ngtcp2-client, ngtcp2-server, tcpdump.
#     tests/classifiers/tls/quic_captures/make_quic_peer_captures.sh OUTDIR
set -euo pipefail
out=${1:?usage: make_quic_peer_captures.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../../netns_capture_lib.sh
source "$here/../../../netns_capture_lib.sh"
server=$(command -v gtlsserver || echo /usr/sbin/gtlsserver)
client=$(command -v gtlsclient || echo /usr/bin/gtlsclient)
[[ -x $server && -x $client ]] || { echo "ngtcp2-server/ngtcp2-client not installed"; exit 77; }
mkdir -p "$out"
tag=otq$$
cli=${tag}c
srv=${tag}s
netns_work_dir
netns_remove_on_exit+=("/etc/netns/$cli")
netns_pair --no-offloads "$cli" "$srv" "${tag}a" "${tag}b" 10.78.0.1/24 10.78.0.2/24
# The client names the server by DNS name (its SNI): ip netns exec reads /etc/netns/NS/hosts.
mkdir -p "/etc/netns/$cli"
echo "10.78.0.2 quic.example.test" >"/etc/netns/$cli/hosts"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=quic.example.test" -addext "subjectAltName=DNS:quic.example.test" \
  -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
mkdir -p "$work/htdocs"
echo "hello over quic" >"$work/htdocs/index.html"

# One server per case: plain on 443, address validation (Retry) on 8443.
ip netns exec "$srv" "$server" -q -d "$work/htdocs" 10.78.0.2 443 "$work/key.pem" \
  "$work/cert.pem" >/dev/null 2>&1 &
pids+=($!)
ip netns exec "$srv" "$server" -q -V -d "$work/htdocs" 10.78.0.2 8443 "$work/key.pem" \
  "$work/cert.pem" >/dev/null 2>&1 &
pids+=($!)
sleep 0.5

# run NAME PORT [CLIENT OPTIONS...]
run() {
  local name=$1 port=$2
  shift 2
  tcpdump_start "$cli" "${tag}a" "$out/$name.pcap" udp
  local dump=$TCPDUMP_PID
  ip netns exec "$cli" timeout 10 "$client" -q --exit-on-all-streams-close --timeout=3s \
    "$@" quic.example.test "$port" "https://quic.example.test:$port/index.html" \
    >/dev/null 2>&1 || true
  tcpdump_stop "$dump"
}

run quic-v1 443
# A 1 KB FFDHE8192 share first, X25519 second: about 1.3 KB of ClientHello.
run quic-large-hello 443 --groups=-GROUP-ALL:+GROUP-FFDHE8192:+GROUP-X25519
run quic-retry 8443
