#!/usr/bin/env bash
# Makes prologue.pcap: TLS after a cleartext prologue between real peers in two network
# namespaces of our own. Server side: prologue_peers.py (python3: the dialogues, then its ssl
# module) and openssl s_server behind the HTTP and SOCKS proxies; client side: openssl
# s_client -starttls, curl through the proxies, curl for a plain SMTP session, python3 for
# garbage; tcpdump in the client namespace.
#     tests/classifiers/tls/prologue/make_prologue_capture.sh OUT.pcap
# Flows (server port: what): 25 SMTP STARTTLS (TLS 1.2, SNI mail.example.org); 143 IMAP
# STARTTLS (TLS 1.3, SNI imap.example.org); 110 POP3 STLS (TLS 1.2, SNI pop.example.org);
# 21 FTP AUTH TLS (TLS 1.3, SNI ftp.example.org); 5222 XMPP STARTTLS (TLS 1.2, SNI
# example.org); 3128 curl through an HTTP CONNECT proxy (SNI www.example.org, ALPN h2 and
# http/1.1); 1080 curl through SOCKS 5 (TLS 1.2, SNI socks.example.org). Negatives, which
# must carry no TLS value: 3129 CONNECT answered 407; 587 STARTTLS refused (454); 2525 an
# EHLO answer longer than the prologue bound, then STARTTLS; 25 a plain SMTP session (curl,
# no STARTTLS); 25 garbage after the greeting.
# Needs root (ip netns). Namespace names carry the PID so parallel runs do not collide.
set -euo pipefail
out=${1:?usage: make_prologue_capture.sh OUT.pcap}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../../netns_capture_lib.sh
source "$here/../../../netns_capture_lib.sh"
tag=otp$$
cli=${tag}c
srv=${tag}s
netns_work_dir
netns_pair --no-offloads "$cli" "$srv" "${tag}a" "${tag}b" 10.78.0.1/24 10.78.0.2/24

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mail.example.org" \
  -addext "subjectAltName=DNS:*.example.org,DNS:example.org" -keyout "$work/key.pem" \
  -out "$work/cert.pem" >/dev/null 2>&1

ip netns exec "$srv" openssl s_server -quiet -accept 127.0.0.1:4433 -cert "$work/cert.pem" \
  -key "$work/key.pem" -www >/dev/null 2>&1 &
pids+=($!)
ip netns exec "$srv" /usr/bin/python3 "$here/prologue_peers.py" 10.78.0.2 "$work/cert.pem" \
  "$work/key.pem" 127.0.0.1 4433 >"$work/peers.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  grep -q listening "$work/peers.log" 2>/dev/null && break
  sleep 0.05
done
tcpdump_start "$cli" "${tag}a" "$out" tcp
tcpdump_pid=$TCPDUMP_PID
pids+=("$tcpdump_pid")

C() { ip netns exec "$cli" "$@"; }
s_client() {  # PROTOCOL PORT SNI [OPTIONS...]
  local protocol=$1 port=$2 sni=$3
  shift 3
  echo hello | C timeout 10 openssl s_client -quiet -starttls "$protocol" \
    -connect "10.78.0.2:$port" -servername "$sni" "$@" >/dev/null 2>&1 || true
}
s_client smtp 25 mail.example.org -tls1_2
s_client imap 143 imap.example.org -tls1_3
s_client pop3 110 pop.example.org -tls1_2
s_client ftp 21 ftp.example.org -tls1_3
s_client xmpp 5222 example.org -xmpphost example.org -tls1_2
C timeout 10 curl -s -k -o /dev/null -x http://10.78.0.2:3128 https://www.example.org/ || true
C timeout 10 curl -s -k -o /dev/null --tlsv1.2 --tls-max 1.2 \
  --socks5-hostname 10.78.0.2:1080 https://socks.example.org/ || true
# Negatives.
C timeout 10 curl -s -k -o /dev/null -x http://10.78.0.2:3129 https://denied.example.org/ || true
s_client smtp 587 refused.example.org
s_client smtp 2525 long.example.org
printf 'Subject: t\r\n\r\nplain\r\n' >"$work/mail.txt"
C timeout 10 curl -s smtp://10.78.0.2:25 --mail-from a@example.org --mail-rcpt b@example.org \
  -T "$work/mail.txt" || true
C timeout 10 /usr/bin/python3 -c '
import random, socket
s = socket.create_connection(("10.78.0.2", 25), timeout=5)
s.recv(4096)
s.sendall(bytes(random.Random(7).randrange(256) for _ in range(3000)))
s.close()' || true
sleep 0.5
tcpdump_stop "$tcpdump_pid"
