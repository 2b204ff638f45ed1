#!/usr/bin/env bash
# Real-peer SIP and TLS captures, made at test time between two network namespaces of our own
# (veth, 10.203.x addresses that exist only inside them): sipp as UAC and UAS, stunnel4 in
# front of it on TCP 443 with a sip.jajah.com certificate from a throw-away CA, curl against
# python3's http.server behind stunnel as the web negatives. tcpdump writes one capture per
# scenario on the server's veth.
#
# Usage: make_sip_captures.sh OUTDIR      (root; exit 77 = skipped: not root or a tool missing)
set -euo pipefail

out=${1:?usage: make_sip_captures.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../netns_capture_lib.sh
source "$here/../../netns_capture_lib.sh"
[[ $(id -u) -eq 0 ]] || { echo "skip: needs root for network namespaces" >&2; exit 77; }
for tool in ip sipp stunnel4 tcpdump openssl curl python3; do
    command -v "$tool" >/dev/null || { echo "skip: $tool missing" >&2; exit 77; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
netns_work_dir
tag=$$
cns=ots-sipc-$tag
sns=ots-sips-$tag
netns_pair --no-ipv6 "$cns" "$sns" "vc$tag" "vs$tag" 10.203.0.1/24 10.203.0.2/24
on_exit() {
    local status=$?
    if ((status != 0)); then
        echo "make_sip_captures: failed ($status); daemon and UAC logs:" >&2
        grep -a "LOG[0-4]\|rror\|sipp" "$work/daemons.log" | tail -n 40; tail -n 5 "$work/uac.log" >&2 2>/dev/null || true
    fi
    netns_pair_cleanup
}
trap on_exit EXIT
# The client reaches Jajah and the web server by name, as a phone would.
# Plain commands rather than shell functions, so that $! is the process itself.
client=(ip netns exec "$cns")
server=(ip netns exec "$sns")

# A test CA, a sip.jajah.com certificate and one for an unrelated web site.
cd "$work"
ca_make "ottscope test CA"
ca_issue jajah sip.jajah.com
ca_issue web www.example.test

start() { netns_start "$work/daemons.log" "$@"; }
capture_begin() { netns_capture_begin "$sns" "vs$tag" "$out/$1.pcap" ip; }

# sipp scenarios: the built-in UAC/UAS call, and a registration kept alive.
uas() {  # TRANSPORT(u1|t1) ADDRESS PORT [extra]
    start "${server[@]}" sipp -nostdin -sn uas -t "$1" -i "$2" -p "$3" -timeout 30 "${@:4}"
}
uac_call() {  # TRANSPORT TARGET
    "${client[@]}" sipp -nostdin -sn uac -t "$1" -i 10.203.0.1 "$2" -m 1 -timeout 15 -timeout_error \
        >>"$work/uac.log" 2>&1
}
stunnel_server() {  # CERT ACCEPT CONNECT
    cat >"$work/server-$1.conf" <<CONF
foreground = yes
pid =
[sip]
accept = 10.203.0.2:443
connect = $3
cert = $work/$1.pem
CONF
    start "${server[@]}" stunnel4 "$work/server-$1.conf"
}
stunnel_client() {  # VERSION(TLSv1.2|TLSv1.3) SNI(empty: none)
    cat >"$work/client.conf" <<CONF
foreground = yes
pid =
[sip]
client = yes
accept = 127.0.0.1:5061
connect = 10.203.0.2:443
sslVersionMin = $1
sslVersionMax = $1
sni = $2
CONF
    start "${client[@]}" stunnel4 "$work/client.conf"
    netns_wait_port "$cns" 5061
}

# 1. Cleartext SIP over UDP 5060, and over TCP 443.
capture_begin sip-udp-5060
uas u1 10.203.0.2 5060
uac_call u1 10.203.0.2:5060
netns_stop_last
netns_capture_end

capture_begin sip-tcp-443
uas t1 10.203.0.2 443
netns_wait_port "$sns" 443
uac_call t1 10.203.0.2:443
netns_stop_last
netns_capture_end

# 2. SIP inside TLS on 443 to sip.jajah.com: TLS 1.2 and 1.3, with and without SNI.
for version in TLSv1.2 TLSv1.3; do
    for sni in sip.jajah.com ""; do
        name=sip-tls${version#TLSv1.}-$([[ -n $sni ]] && echo sni || echo nosni)
        name=${name/1.2/12}
        name=${name/tls2/tls12}
        name=${name/tls3/tls13}
        capture_begin "$name"
        uas t1 127.0.0.1 5060
        stunnel_server jajah 443 127.0.0.1:5060
        netns_wait_port "$sns" 5060
        stunnel_client "$version" "$sni"
        uac_call t1 127.0.0.1:5061
        netns_stop_last; netns_stop_last; netns_stop_last
        netns_capture_end
    done
done

# 3. A long-lived registration: 20 REGISTER + OPTIONS rounds, one every 0.2 s, one TLS 1.3
# connection with SNI.
cat >"$work/keepalive-uac.xml" <<'XML'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="re-register">
  <send><![CDATA[
REGISTER sip:[remote_ip] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@[remote_ip]>;tag=[call_number]
To: <sip:[service]@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:[service]@[local_ip]:[local_port];transport=tls>
Max-Forwards: 70
Expires: 60
User-Agent: TumeApp/3.2
Content-Length: 0

  ]]></send>
  <recv response="200"/>
  <send><![CDATA[
OPTIONS sip:[remote_ip] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@[remote_ip]>;tag=[call_number]
To: <sip:[remote_ip]>
Call-ID: [call_id]
CSeq: 2 OPTIONS
Max-Forwards: 70
Content-Length: 0

  ]]></send>
  <recv response="200"/>
</scenario>
XML
cat >"$work/keepalive-uas.xml" <<'XML'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="registrar">
  <recv request="REGISTER"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port]>
Content-Length: 0

  ]]></send>
  <recv request="OPTIONS"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

  ]]></send>
</scenario>
XML
capture_begin sip-tls13-sni-long
start "${server[@]}" sipp -nostdin -sf "$work/keepalive-uas.xml" -t t1 -i 127.0.0.1 -p 5060 -timeout 30
stunnel_server jajah 443 127.0.0.1:5060
netns_wait_port "$sns" 5060
stunnel_client TLSv1.3 sip.jajah.com
"${client[@]}" sipp -nostdin -sf "$work/keepalive-uac.xml" -t t1 -i 10.203.0.1 127.0.0.1:5061 \
    -m 20 -r 5 -timeout 20 -timeout_error >>"$work/uac.log" 2>&1
netns_stop_last; netns_stop_last; netns_stop_last
netns_capture_end

# 4. Negatives: web pages over HTTPS (TLS 1.2 and 1.3) from another certificate, HTTP/2 (ALPN
# h2; curl finds the server speaks HTTP/1 only), a long-lived HTTPS session of 20 requests on
# one connection, one every 0.2 s.
mkdir -p "$work/www"
for i in $(seq 3); do head -c $((i * 20000)) /dev/urandom | base64 >"$work/www/page$i.html"; done
start "${server[@]}" python3 -m http.server 8080 --bind 127.0.0.1 --directory "$work/www"
netns_wait_port "$sns" 8080
stunnel_server web 443 127.0.0.1:8080
fetch() { "${client[@]}" curl -sk --resolve www.example.test:443:10.203.0.2 "$@" >/dev/null || true; }
capture_begin https-pages
fetch --tlsv1.2 --tls-max 1.2 https://www.example.test/page1.html
fetch --tlsv1.3 https://www.example.test/page2.html
fetch --tlsv1.3 https://www.example.test/page3.html
netns_capture_end
capture_begin https-long
urls=()
for _ in $(seq 20); do urls+=(https://www.example.test/page1.html); done
fetch --rate 5/s "${urls[@]}"
netns_capture_end
netns_stop_last  # stunnel web
start "${server[@]}" openssl s_server -accept 10.203.0.2:443 -cert "$work/web.crt" \
    -key "$work/web.key" -alpn h2 -WWW -quiet
sleep 0.5
capture_begin https-h2
fetch --max-time 3 --http2 https://www.example.test/page1.html
netns_capture_end
netns_stop_last  # s_server
netns_stop_last  # http.server

ls "$out"/*.pcap
