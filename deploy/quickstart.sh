#!/usr/bin/env bash
# Installs, builds and runs ottscope on the bundled demo capture (made by `ottscope synth`):
# prints the per-app table and serves http://127.0.0.1:9464/metrics while it runs.
# Extra arguments go to `ottscope run`, e.g. --linger to keep serving metrics afterwards.
# Builds the binary only; `bash tests/run.sh` builds the rest (tests, fuzz, benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/build.sh ottscope
exec build/ottscope run -c config/ottscope.yaml --pcap config/demo/tume-demo.pcap \
  --flows-out build/demo.flows.jsonl "$@"
