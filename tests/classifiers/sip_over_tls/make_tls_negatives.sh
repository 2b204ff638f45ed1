#!/usr/bin/env bash
# TLS sessions that are not SIP, shaped like it in ways the behavioural SIP-over-TLS model
# was not built from: client-certificate authentication (TLS 1.2 and 1.3), TLS 1.2
# renegotiation, HTTP long-polling with browser-sized requests and small JSON answers,
# WebSocket chat, and line chat at human pace. Real peers between two network namespaces of
# our own (veth, 10.204.x addresses that exist only inside them): curl and openssl s_client
# as clients, python3's ssl (tls_peer.py) and openssl s_server as servers, a throw-away CA.
# tcpdump writes one capture per scenario on the server's veth.
#
# Usage: make_tls_negatives.sh OUTDIR   (root; exit 77 = skipped: not root or a tool missing)
set -euo pipefail

out=${1:?usage: make_tls_negatives.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../netns_capture_lib.sh
source "$here/../../netns_capture_lib.sh"
[[ $(id -u) -eq 0 ]] || { echo "skip: needs root for network namespaces" >&2; exit 77; }
for tool in ip tcpdump openssl curl python3; do
    command -v "$tool" >/dev/null || { echo "skip: $tool missing" >&2; exit 77; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
netns_work_dir
tag=$$
cns=ots-negc-$tag
sns=ots-negs-$tag
netns_pair --no-ipv6 "$cns" "$sns" "nc$tag" "ns$tag" 10.204.0.1/24 10.204.0.2/24
client=(ip netns exec "$cns")
server=(ip netns exec "$sns")

cd "$work"
ca_make "ottscope negatives CA"
ca_issue server api.example.test
ca_issue client device-0042.example.test

start() { netns_start "$work/daemons.log" "$@"; }
capture_begin() { netns_capture_begin "$sns" "ns$tag" "$out/$1.pcap" tcp; }
peer() { /usr/bin/python3 "$here/tls_peer.py" "$@"; }
browser=(-H "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0"
    -H "Accept: application/json, text/plain, */*" -H "Accept-Language: en-GB,en;q=0.5"
    -H "Cookie: session=7f3c2a9be41d4c0f8a5e6b1d2c3f4a5b; consent=yes")
polls() {  # PATH curl options...: six polls on one connection
    local urls=() path=$1
    shift
    for _ in $(seq 6); do urls+=("https://api.example.test/$path"); done
    "${client[@]}" curl -sk --resolve api.example.test:443:10.204.0.2 "${browser[@]}" "$@" \
        "${urls[@]}" >/dev/null || true
}

# 1. Client-certificate authentication: an API long-polled and polled by a device, and a
# WebSocket chat, over TLS 1.2 and 1.3.
for version in 12 13; do
    extra=()
    [[ $version == 12 ]] && extra=(--tls12)
    start "${server[@]}" /usr/bin/python3 "$here/tls_peer.py" server 10.204.0.2 443 \
        "$work/server.crt" "$work/server.key" --client-ca "$work/ca.crt" "${extra[@]}"
    netns_wait_port "$sns" 443
    capture_begin "mtls$version-poll"
    polls poll --cert "$work/client.crt" --key "$work/client.key"
    netns_capture_end
    # Answered at once, a request a second: only the client certificate tells it from SIP.
    capture_begin "mtls$version-api"
    polls api --rate 1/s --cert "$work/client.crt" --key "$work/client.key"
    netns_capture_end
    capture_begin "mtls$version-websocket"
    "${client[@]}" /usr/bin/python3 "$here/tls_peer.py" ws-client 10.204.0.2 443 \
        --cert "$work/client.crt" --key "$work/client.key" 8 0.6
    netns_capture_end
    netns_stop_last
done

# 2. Without client certificates: long-polling and WebSocket chat over TLS 1.3, line chat.
start "${server[@]}" /usr/bin/python3 "$here/tls_peer.py" server 10.204.0.2 443 \
    "$work/server.crt" "$work/server.key"
netns_wait_port "$sns" 443
capture_begin longpoll13
polls poll --tlsv1.3
netns_capture_end
capture_begin websocket13
"${client[@]}" /usr/bin/python3 "$here/tls_peer.py" ws-client 10.204.0.2 443 10 0.7
netns_capture_end
chat() {  # lines typed at human pace
    for line in "hey" "did you see the game last night?" "yes!" "what a finish" \
        "the last minute goal was unreal" "ok talk later" "bye"; do
        echo "$line"
        sleep 0.6
    done
}
# Without -quiet (which ignores the end of input), s_client closes when the lines run out;
# no line starts with one of its command letters.
capture_begin chat13
chat | "${client[@]}" openssl s_client -tls1_3 -connect 10.204.0.2:443 >/dev/null 2>&1 || true
netns_capture_end
netns_stop_last

# 3. TLS 1.2 renegotiation (client-initiated, `R` in s_client) amid a line exchange with
# s_server, which echoes every line reversed.
start "${server[@]}" openssl s_server -accept 10.204.0.2:443 -tls1_2 -cert "$work/server.crt" \
    -key "$work/server.key" -rev -quiet -client_renegotiation
netns_wait_port "$sns" 443
renegotiating() {
    for line in "GET status of node 12 with all fields please" "R" \
        "SUBSCRIBE alerts for the west region, severity at least two" "R" \
        "ACK last alert 5512 and keep the subscription open" "QUIT now"; do
        echo "$line"
        sleep 0.7
    done
}
capture_begin renego12
renegotiating | "${client[@]}" openssl s_client -tls1_2 -connect 10.204.0.2:443 >/dev/null 2>&1 || true
netns_capture_end
netns_stop_last
ls "$out"
