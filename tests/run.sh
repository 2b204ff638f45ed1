#!/usr/bin/env bash
# Installs, builds and runs the whole test suite: unit tests, the real binary on our own
# captures (golden flow records), hostile input, and the ndpiReader oracle over ../shared.
# Ends with one line "tests: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash deploy/build.sh || { echo "tests: 0 passed, 1 failed"; exit 1; }
meson test -C build --print-errorlogs --num-processes 2 "$@"
status=$?
python3 tests/count_results.py build/meson-logs/testlog.junit.xml || status=1
exit $status
