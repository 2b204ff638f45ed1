#!/usr/bin/env bash
# Installs every Debian bookworm package ottscope needs to build, run, test and benchmark.
# Idempotent: packages already present are skipped by apt; safe to run on every build.
set -euo pipefail

packages=(
  # build
  build-essential pkg-config meson ninja-build clang-format clang-tidy
  # dataplane and classifiers
  libdpdk-dev dpdk libndpi-dev libgcrypt20-dev libpcap-dev libssl-dev
  # control plane
  prometheus-cpp-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  libsimdjson-dev libhttp-parser-dev libfixbuf-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev libndpi-bin tshark python3 python3-scapy
  # dpdk-testpmd: the I/O ceiling row of tests/bench/bench.py
  dpdk-dev
  # fuzzing (tests/fuzz/run_fuzzer.sh: clang with libFuzzer and sanitizer runtimes)
  clang libclang-rt-14-dev
  valgrind curl time iproute2
  # real-peer SIP/TLS captures in network namespaces (tests/classifiers/sip)
  sip-tester stunnel4 tcpdump
  # real QUIC peers (ngtcp2 over GnuTLS) for QUIC Initial captures (tests/classifiers/tls)
  ngtcp2-client ngtcp2-server
  # deploy tests: a real Prometheus (and promtool) scrapes the appliance; unit file checks
  prometheus systemd
  # IPFIX export tests: real collectors (nfacctd; nfcapd and nfdump) and libfixbuf's
  # decoder (ipfixDump)
  pmacct nfdump libfixbuf-tools
  # the Debian package (deploy/build-deb.sh, tests/package): dpkg-buildpackage, dh, lintian
  dpkg-dev debhelper lintian
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
