#!/usr/bin/env bash
# Builds ottscope twice more, with AddressSanitizer + UBSan and with ThreadSanitizer, and runs
# the real binary under them: our integration tests and the whole hostile corpus under ASan,
# two workers with concurrent /metrics scrapes and API calls under TSan. Any sanitizer report fails.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
# Runs without -c take the built-in defaults, as in the meson suite (tests/meson.build).
export OTTSCOPE_SYSTEM_CONFIG= OTTSCOPE_CHECKOUT_CONFIG=

build() {  # build DIR SANITIZERS TARGETS...
  local dir=$1 sanitize=$2
  shift 2
  if [[ ! -f $dir/build.ninja ]]; then
    meson setup "$dir" "$src" -Db_sanitize="$sanitize" -Dbuildtype=debugoptimized >/dev/null
  fi
  ninja -C "$dir" -j"$jobs" "$@" >/dev/null
}

echo "== AddressSanitizer + UBSan"
asan=$src/build-asan
build "$asan" address,undefined ottscope tests/integration_tests tests/oracle_tests tests/unit_tests
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
OTTSCOPE_SOURCE_ROOT=$src "$asan/tests/unit_tests" --gtest_brief=1
OTTSCOPE_BINARY=$asan/ottscope OTTSCOPE_SOURCE_ROOT=$src "$asan/tests/integration_tests" --gtest_brief=1
OTTSCOPE_BINARY=$asan/ottscope OTTSCOPE_SOURCE_ROOT=$src "$asan/tests/oracle_tests" --gtest_brief=1 \
  --gtest_filter='*Conservation*'
# The oracle test accepts exit 1 from damaged captures, so look at every hostile one here.
if [[ -f $src/../shared/pcaps/MANIFEST.tsv ]]; then
  bad=0
  while read -r path; do
    out=$("$asan/ottscope" run --pcap "$src/../shared/pcaps/$path" --metrics 127.0.0.1:0 2>&1) || true
    if grep -qE "Sanitizer|runtime error" <<<"$out"; then
      echo "sanitizer report on $path:"; grep -m5 -E "Sanitizer|runtime error" <<<"$out"; bad=1
    fi
  done < <(awk -F'\t' 'NR > 1 && $6 ~ /malformed|truncated-or-bad/ {print $1}' "$src/../shared/pcaps/MANIFEST.tsv")
  [[ $bad == 0 ]] || exit 1
  echo "hostile corpus clean under ASan/UBSan"
fi

echo "== ThreadSanitizer"
tsan=$src/build-tsan
build "$tsan" thread ottscope
export TSAN_OPTIONS="halt_on_error=0 exitcode=66 suppressions=$src/tests/tsan.supp"
log=$(mktemp)
"$tsan/ottscope" run --pcap "$src/config/demo/tume-demo.pcap" --workers 2 \
  --flows-out /dev/null --metrics 127.0.0.1:0 >"$log" 2>&1 || { cat "$log"; exit 1; }
rules=$(mktemp -d)
config=$rules/ottscope.yaml
printf 'ports:\n  - name: null0\n    device: net_null0\nflow_table:\n  capacity: 4096\nrules:\n  files: ["r*.yaml"]\n' >"$config"
rule() { printf 'apps:\n  - name: %s\n    category: test\n    match: { any: [ { ports: [%s] } ] }\n' "$1" "$2" >"$rules/r1.yaml"; }
rule tsan-a 1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$tsan/ottscope" run -c "$config" --workers 2 --duration 3 --metrics "127.0.0.1:$port" >"$log" 2>&1 &
pid=$!
scrapes=0
for i in $(seq 1 20); do
  sleep 0.2
  if curl -sf "127.0.0.1:$port/metrics" >/dev/null; then scrapes=$((scrapes + 1)); fi
  # Rule reloads race the workers' reads of the rules: RCU must keep them apart.
  rule "tsan-$((i % 2))" "$i"
  kill -HUP "$pid" 2>/dev/null || true
  # The API reads the same counters and the workers' published top-flow snapshots.
  curl -sf "127.0.0.1:$port/api/v1/flows?top=5" >/dev/null || true
  curl -sf "127.0.0.1:$port/api/v1/status" >/dev/null || true
  curl -sf -X POST "127.0.0.1:$port/-/reload" >/dev/null || true
done
wait "$pid" || { cat "$log"; exit 1; }
grep -q ": holds" "$log" || { cat "$log"; exit 1; }
if grep -q "WARNING: ThreadSanitizer" "$log"; then cat "$log"; exit 1; fi
grep -q "rules reloaded" "$log" || { cat "$log"; exit 1; }
echo "two workers (worker 0 receiving) clean under TSan with $scrapes concurrent scrapes and rule reloads"
rm -rf "$log" "$rules"
