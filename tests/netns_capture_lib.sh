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
