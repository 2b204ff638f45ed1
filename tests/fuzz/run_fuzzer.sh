#!/usr/bin/env bash
# Builds and runs one libFuzzer target for a bounded time:
#     tests/fuzz/run_fuzzer.sh TARGET SECONDS
# TARGET is tests/fuzz/TARGET_fuzzer.cpp, listed in tests/fuzz/meson.build (a new target is
# one source file there plus one line). Builds with clang (-fsanitize=fuzzer,address,
# undefined) in build-fuzz/ beside build/, starts from the committed seeds in
# tests/fuzz/corpus/TARGET and keeps what it finds in build-fuzz/corpus/TARGET. A crash
# leaves its input in build-fuzz/artifacts/TARGET/ and fails the run.
set -euo pipefail
target=${1:?usage: run_fuzzer.sh TARGET SECONDS}
seconds=${2:?usage: run_fuzzer.sh TARGET SECONDS}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build-fuzz

if [[ ! -f $build/build.ninja ]]; then
  CC=clang CXX=clang++ meson setup "$build" "$root" -Dfuzz=true --buildtype=debugoptimized \
    >"$root/build-fuzz.setup.log" 2>&1 || { cat "$root/build-fuzz.setup.log" >&2; exit 1; }
  rm -f "$root/build-fuzz.setup.log"
fi
ninja -C "$build" -j2 "tests/fuzz/${target}_fuzzer" >/dev/null

seeds=$root/tests/fuzz/corpus/$target
work=$build/corpus/$target
artifacts=$build/artifacts/$target
mkdir -p "$work" "$artifacts" "$seeds"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1
"$build/tests/fuzz/${target}_fuzzer" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" "$seeds" 2>&1 | tail -n 25
