# Sourced by the scripts that capture real peers between network namespaces of our own.
# A fixed sleep after starting tcpdump lost the first packets on a loaded machine (an empty
# capture, or one without its warm-up flow): wait until tcpdump says it captures. Immediate
# mode, because packets otherwise wait in the kernel's ring block for up to a second, and a
# SIGINT in that second leaves them out of the file.

# tcpdump_start NAMESPACE IFACE OUT.pcap [FILTER...]: TCPDUMP_PID is set once it captures.
tcpdump_start() {
    local ns=$1 iface=$2 out=$3 log
    shift 3
    log=$(mktemp)
    ip netns exec "$ns" tcpdump -Z root --immediate-mode -i "$iface" -w "$out" -U -s 0 "$@" 2>"$log" &
    TCPDUMP_PID=$!
    for _ in $(seq 200); do
        if grep -q "listening on" "$log"; then
            rm -f "$log"
            return 0
        fi
        sleep 0.05
    done
    cat "$log" >&2
    rm -f "$log"
    echo "tcpdump never started capturing on $iface" >&2
    return 1
}

# tcpdump_stop PID: lets the last packets reach the file, then stops it.
tcpdump_stop() {
    sleep 0.5
    kill -INT "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# Background processes the scripts start (daemons, tcpdump): stopped on exit.
pids=()
# Paths removed on exit (work folders, /etc/netns/NS files).
netns_remove_on_exit=()
netns_pair_names=()

# netns_pair_cleanup: stops what pids holds, deletes the namespace pair, removes the paths in
# netns_remove_on_exit. netns_pair installs it as the EXIT trap; a script with more to do on
# exit installs its own trap and calls it last.
netns_pair_cleanup() {
    local pid ns
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for ns in "${netns_pair_names[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "${netns_remove_on_exit[@]}"
}

# netns_work_dir: sets work to a new temporary folder, removed on exit.
netns_work_dir() {
    work=$(mktemp -d)
    netns_remove_on_exit+=("$work")
    trap netns_pair_cleanup EXIT
}

# netns_pair [--no-ipv6] [--no-offloads] CLIENT_NS SERVER_NS CLIENT_IF SERVER_IF
#            CLIENT_ADDR/LEN SERVER_ADDR/LEN [CLIENT_ADDR/LEN SERVER_ADDR/LEN...]
# Two namespaces joined by a veth pair, addressed and up, undone on exit. --no-ipv6: no IPv6
# at all (no link-local addresses, no neighbour discovery in the captures). --no-offloads: the
# captures show wire-sized segments, not 64 KB super-frames. IPv6 addresses skip duplicate
# address detection, so they are usable at once.
netns_pair() {
    local no_ipv6=0 no_offloads=0
    while [[ $1 == --* ]]; do
        case $1 in
            --no-ipv6) no_ipv6=1 ;;
            --no-offloads) no_offloads=1 ;;
            *) echo "netns_pair: unknown option $1" >&2; return 1 ;;
        esac
        shift
    done
    local cns=$1 sns=$2 cif=$3 sif=$4 ns
    shift 4
    netns_pair_names=("$cns" "$sns")
    trap netns_pair_cleanup EXIT
    ip netns add "$cns"
    ip netns add "$sns"
    # Made in the caller's namespace, then moved: made straight inside them (ip link add ...
    # netns), the first IPv6 neighbour solicitation mostly went unanswered, and with it the
    # datagram make_any_capture.sh sends (lost in 11 runs of 14; in none of 8 this way).
    ip link add "$cif" type veth peer name "$sif"
    ip link set "$cif" netns "$cns"
    ip link set "$sif" netns "$sns"
    while (($# >= 2)); do
        local nodad=()
        [[ $1 == *:* ]] && nodad=(nodad)
        ip -n "$cns" addr add "$1" dev "$cif" "${nodad[@]}"
        ip -n "$sns" addr add "$2" dev "$sif" "${nodad[@]}"
        shift 2
    done
    for ns in "$cns" "$sns"; do
        ip -n "$ns" link set lo up
        if ((no_ipv6)); then ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1; fi
    done
    ip -n "$cns" link set "$cif" up
    ip -n "$sns" link set "$sif" up
    if ((no_offloads)); then
        ip netns exec "$cns" ethtool -K "$cif" tso off gso off gro off >/dev/null 2>&1 || true
        ip netns exec "$sns" ethtool -K "$sif" tso off gso off gro off >/dev/null 2>&1 || true
    fi
}

# netns_start LOG COMMAND...: COMMAND in the background, its output appended to LOG, its pid
# last in pids (netns_stop_last stops it). A command, not a shell function, so that the pid is
# the process itself.
netns_start() {
    local log=$1
    shift
    "$@" >>"$log" 2>&1 &
    pids+=($!)
}

# netns_stop_last: stops the process last added to pids.
netns_stop_last() {
    local pid=${pids[-1]}
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset 'pids[-1]'
}

# netns_wait_port NAMESPACE PORT: until something listens on TCP PORT, without connecting (a
# probe would be one more flow in the capture).
netns_wait_port() {
    for _ in $(seq 50); do
        ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
        sleep 0.1
    done
    echo "port $2 never opened" >&2
    return 1
}

# netns_capture_begin NAMESPACE IFACE OUT.pcap [FILTER...] / netns_capture_end: a tcpdump
# whose pid is last in pids while it runs.
netns_capture_begin() {
    tcpdump_start "$@"
    pids+=("$TCPDUMP_PID")
}
netns_capture_end() {
    tcpdump_stop "${pids[-1]}"
    unset 'pids[-1]'
}

# ca_make CN / ca_issue NAME CN: a throw-away CA (ca.key, ca.crt) in the current folder, and a
# certificate it signs for the DNS name CN: NAME.key, NAME.crt, and both in NAME.pem.
ca_make() {
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
        -subj "/CN=$1" 2>/dev/null
}
ca_issue() {
    openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
    printf 'subjectAltName=DNS:%s\n' "$2" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    cat "$1.key" "$1.crt" >"$1.pem"
}
