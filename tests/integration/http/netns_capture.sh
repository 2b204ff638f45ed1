#!/usr/bin/env bash
# Makes a capture of real HTTP and HTTPS between two network namespaces joined by a veth
# pair: python3's http.server (a JSON API answering POSTs) and openssl s_server on the
# server side, curl on the client side, tcpdump in the client namespace.
#     tests/integration/http/netns_capture.sh OUT.pcap
# Traffic: a TU Me-shaped JSON POST to api.tumeapp.com (cleartext), the same over TLS (SNI
# api.tumeapp.com), a JSON POST to another host, an HTML page and a 200 KB download.
# Needs root (ip netns). Namespace names carry the PID so parallel runs do not collide.
set -euo pipefail
out=${1:?usage: netns_capture.sh OUT.pcap}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../netns_capture_lib.sh
source "$here/../../netns_capture_lib.sh"
tag=ott$$
cli=${tag}c
srv=${tag}s
netns_work_dir
netns_pair --no-offloads "$cli" "$srv" "${tag}a" "${tag}b" 10.77.0.1/24 10.77.0.2/24

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=api.tumeapp.com" \
  -addext "subjectAltName=DNS:api.tumeapp.com" -keyout "$work/key.pem" -out "$work/cert.pem" \
  >/dev/null 2>&1
head -c 200000 /dev/zero | tr '\0' 'a' >"$work/download.bin"
printf '<!doctype html><html><head><title>t</title></head><body><p>page</p></body></html>\n' \
  >"$work/index.html"

ip netns exec "$srv" /usr/bin/python3 "$here/json_server.py" 10.77.0.2 80 "$work" &
pids+=($!)
ip netns exec "$srv" openssl s_server -quiet -accept 443 -cert "$work/cert.pem" \
  -key "$work/key.pem" -www >/dev/null 2>&1 &
pids+=($!)
tcpdump_start "$cli" "${tag}a" "$out" tcp
tcpdump_pid=$TCPDUMP_PID
pids+=("$tcpdump_pid")
for _ in $(seq 50); do
  ip netns exec "$cli" curl -s -o /dev/null http://10.77.0.2/index.html && break
  sleep 0.1
done
sleep 0.5
# The warm-up above is in the capture too: one more HTML GET.

body='{"msisdn":"+34699111222","displayName":"Alicia Prueba","addressBook":[{"name":"Bob Ejemplo","msisdn":"+34699333444"}]}'
# A failed exchange (s_server -www answers only GETs) still leaves its packets.
c() { ip netns exec "$cli" curl -s -o /dev/null --max-time 5 "$@" || true; }
c --resolve api.tumeapp.com:80:10.77.0.2 -H 'Content-Type: application/json' \
  -A 'TuMe/3.2.1 (Android 14)' -d "$body" http://api.tumeapp.com/v1/profile
c --resolve api.tumeapp.com:443:10.77.0.2 -k -H 'Content-Type: application/json' \
  -d "$body" https://api.tumeapp.com/v1/profile
c --resolve api.example.org:80:10.77.0.2 -H 'Content-Type: application/json' \
  -d '{"msisdn":"+34699111222"}' http://api.example.org/v1/profile
c --resolve www.example.org:80:10.77.0.2 http://www.example.org/index.html
c --resolve files.example.org:80:10.77.0.2 http://files.example.org/download.bin
sleep 0.5
tcpdump_stop "$tcpdump_pid"
