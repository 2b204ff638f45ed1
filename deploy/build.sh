#!/usr/bin/env bash
# Installs the Debian packages and builds ottscope into build/ (release, C++20).
#   bash deploy/build.sh            every target: binary, tests, fuzz and benchmark programs
#   bash deploy/build.sh ottscope   only the named targets (the quick start: the binary)
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
if [[ ! -f build/build.ninja ]]; then
  meson setup build --buildtype=release >/dev/null
fi
ninja -C build -j"$(nproc)" "$@"
