#!/usr/bin/env bash
# The Debian package as an operator meets it: built by dpkg-buildpackage (deploy/build-deb.sh),
# lintian clean, installed with dpkg -i, its configuration checked and the demo capture run with
# it, the unit enabled but not started, then purged with nothing left behind.
# Usage: package_test.sh WORK_DIR (a folder of the build tree; the package build lives there).
# As root with no ottscope package, user or /etc/ottscope already on the machine, it installs
# for real (CI). Otherwise it leaves the machine alone and checks the package unpacked with
# dpkg-deb -x into a temporary root instead, saying why.
set -euo pipefail

root="${OTTSCOPE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
work="${1:?usage: package_test.sh WORK_DIR}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
tmp="$(mktemp -d)"
installed=0
started_at=$SECONDS

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() { echo "--- $* ($((SECONDS - started_at)) s)"; }

cleanup() {
  # A failed check must not leave the package on the machine for the next run.
  if ((installed)); then dpkg --purge ottscope >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

step "building the package"
if ! OUT_DIR="$work/out" WORK_DIR="$work/src" SKIP_DEPS=1 bash "$root/deploy/build-deb.sh" \
  >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log"
  fail "the package build failed (log: $work/build.log)"
fi
version="$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)"
deb="$work/out/ottscope_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).deb"
[[ -f "$deb" ]] || fail "no $deb"
echo "package: $deb ($(stat -c %s "$deb") bytes)"

step "lintian"
# Warnings we accept are overridden in debian/ottscope.lintian-overrides, each with its reason:
# any other warning or error fails.
if ! lintian --fail-on error,warning --info "$deb" >"$tmp/lintian.txt" 2>&1; then
  cat "$tmp/lintian.txt"
  fail "lintian"
fi
cat "$tmp/lintian.txt"

contents="$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')"
for path in /usr/bin/ottscope /etc/ottscope/ottscope.yaml /etc/ottscope/rules.d/tume.yaml \
  /lib/systemd/system/ottscope.service /usr/share/man/man8/ottscope.8.gz \
  /usr/share/ottscope/demo/tume-demo.pcap /usr/share/ottscope/grafana/dashboards/ottscope.json \
  /usr/share/ottscope/grafana/provisioning/dashboards/ottscope.yml \
  /usr/share/ottscope/grafana/provisioning/datasources/ottscope.yml \
  /usr/share/ottscope/prometheus/prometheus.yml \
  /usr/share/ottscope/prometheus/rules/ottscope-alerts.yml \
  /usr/share/ottscope/prometheus/rules/ottscope-recording.yml \
  /usr/share/ottscope/pmacct/primitives.lst /usr/share/doc/ottscope/copyright; do
  grep -qxF "$path" <<<"$contents" || fail "the package lacks $path"
done
conffiles="$(dpkg-deb -I "$deb" conffiles)"
for path in /etc/ottscope/ottscope.yaml /etc/ottscope/rules.d/tume.yaml; do
  grep -qxF "$path" <<<"$conffiles" || fail "$path is not a conffile"
done

why_not=""
if [[ $(id -u) -ne 0 ]]; then
  why_not="not root"
elif dpkg-query -W -f='${Status}' ottscope 2>/dev/null | grep -q installed; then
  why_not="a package ottscope is already installed"
elif getent passwd ottscope >/dev/null || getent group ottscope >/dev/null; then
  why_not="a user or group ottscope already exists"
elif [[ -e /etc/ottscope || -e /usr/share/ottscope || -e /var/lib/ottscope ]]; then
  why_not="/etc/ottscope, /usr/share/ottscope or /var/lib/ottscope already exists"
fi

# What the package holds that the machine does not have yet: all of it must go on purge.
absent_before=()
if [[ -z "$why_not" ]]; then
  while read -r path; do
    [[ -z "$path" || "$path" == / ]] && continue
    path="${path%/}"
    [[ -e "$path" || -L "$path" ]] || absent_before+=("$path")
  done <<<"$contents"
fi

# $1: the prefix the package's files sit under ("" when installed).
check_demo_run() {
  local prefix="$1"
  step "check-config and the demo capture"
  local out
  out="$("$prefix/usr/bin/ottscope" check-config "$prefix/etc/ottscope/ottscope.yaml" 2>&1)" ||
    fail "check-config: $out"
  echo "$out"
  grep -q ": ok (1 rule file, " <<<"$out" || fail "check-config did not read rules.d: $out"
  # The port is the kernel's choice: a test running beside this one may hold 9464.
  if ! "$prefix/usr/bin/ottscope" run -c "$prefix/etc/ottscope/ottscope.yaml" \
    --pcap "$prefix/usr/share/ottscope/demo/tume-demo.pcap" --workers 1 \
    --metrics 127.0.0.1:0 --flows-out "$tmp/flows.jsonl" --output json \
    >"$tmp/summary.json" 2>"$tmp/run.log"; then
    cat "$tmp/run.log" "$tmp/summary.json"
    fail "ottscope run on the demo capture"
  fi
  python3 - "$tmp/summary.json" "$tmp/flows.jsonl" <<'EOF' || fail "the demo run's summary"
import json, sys
summary = json.load(open(sys.argv[1]))
apps = {a["app"] for a in summary["apps"]}
records = [json.loads(line) for line in open(sys.argv[2])]
assert summary["conservation"]["holds"], summary["conservation"]
# tume-voip and tume-provisioning come from /etc/ottscope/rules.d: the rules were loaded.
missing = {"tume-voip", "tume-provisioning"} - apps
assert not missing, f"apps missing: {missing} of {sorted(apps)}"
assert records, "no flow records"
print(f"demo: {summary['packets']} packets, {len(apps)} apps, {len(records)} flow records, "
      "conservation holds")
EOF
}

if [[ -n "$why_not" ]]; then
  echo "NOTE: not installing with dpkg -i ($why_not): checking the package unpacked instead"
  step "dpkg-deb -x"
  dpkg-deb -x "$deb" "$tmp/root"
  check_demo_run "$tmp/root"
  echo "PASS (unpacked; not installed: $why_not) in $((SECONDS - started_at)) s"
  exit 0
fi

step "dpkg -i"
installed=1
if ! dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1; then
  cat "$tmp/dpkg.log"
  fail "dpkg -i (missing dependencies? run deploy/install-deps.sh)"
fi
dpkg -L ottscope >"$tmp/files.txt"

entry="$(getent passwd ottscope)" || fail "no user ottscope after install"
IFS=: read -r _ _ _ _ _ home shell <<<"$entry"
[[ "$home" == /nonexistent && "$shell" == /usr/sbin/nologin ]] ||
  fail "user ottscope: home $home, shell $shell"
getent group ottscope >/dev/null || fail "no group ottscope after install"

step "the unit: enabled, not started"
wants=/etc/systemd/system/multi-user.target.wants/ottscope.service
[[ "$(readlink "$wants")" == /lib/systemd/system/ottscope.service ]] ||
  fail "$wants does not point to the unit"
# is-enabled reads unit files: it answers without systemd running (as in a container).
state="$(systemctl is-enabled ottscope.service 2>&1)" || true
[[ "$state" == enabled ]] || fail "systemctl is-enabled: $state"
# Nothing may run as the service user: the unit's start must have been skipped (systemd as
# PID 1) or not attempted (none).
if pgrep -u ottscope >/dev/null; then fail "a process runs as ottscope after install"; fi
if [[ -d /run/systemd/system ]]; then
  active="$(systemctl is-active ottscope.service 2>&1)" || true
  [[ "$active" == inactive ]] || fail "systemctl is-active: $active"
  if systemctl is-failed --quiet ottscope.service; then fail "the unit failed"; fi
  echo "systemd runs: the unit is inactive, not failed"
else
  echo "no systemd as PID 1: unit checked through its files and the start condition"
fi
# The start condition as systemd runs it, as the service user: skip (1) while no port.
status=0
runuser -u ottscope -- /usr/bin/ottscope check-config --require-ports \
  /etc/ottscope/ottscope.yaml >"$tmp/condition.log" 2>&1 || status=$?
[[ $status -eq 1 ]] || {
  cat "$tmp/condition.log"
  fail "ExecCondition as ottscope exited $status, not 1 (skip)"
}

check_demo_run ""

step "dpkg --purge"
dpkg --purge ottscope >"$tmp/dpkg.log" 2>&1 || {
  cat "$tmp/dpkg.log"
  fail "dpkg --purge"
}
installed=0
left=()
while read -r path; do
  [[ -z "$path" || "$path" == /. ]] && continue
  # Folders shared with other packages (/usr/bin, /etc) stay; anything the package brought
  # that was not there before must be gone.
  if [[ -e "$path" && ! -d "$path" ]]; then left+=("$path"); fi
done <"$tmp/files.txt"
for path in "${absent_before[@]}"; do
  if [[ -e "$path" || -L "$path" ]]; then left+=("$path"); fi
done
for path in /etc/ottscope /usr/share/ottscope /usr/share/doc/ottscope /var/lib/ottscope \
  /run/ottscope "$wants" /var/lib/systemd/deb-systemd-helper-enabled/ottscope.service.dsh-also \
  /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/ottscope.service; do
  if [[ -e "$path" || -L "$path" ]]; then left+=("$path"); fi
done
while read -r path; do left+=("$path"); done < <(find /etc/systemd /var/lib/systemd \
  -name 'ottscope*' 2>/dev/null)
if getent passwd ottscope >/dev/null; then left+=("user ottscope"); fi
if getent group ottscope >/dev/null; then left+=("group ottscope"); fi
if dpkg-query -W -f='${Status}' ottscope 2>/dev/null | grep -qv "not-installed"; then
  left+=("dpkg: $(dpkg-query -W -f='${Status}' ottscope)")
fi
if ((${#left[@]})); then
  printf 'left behind: %s\n' "${left[@]}" | sort -u >&2
  fail "dpkg --purge left ${#left[@]} things behind"
fi
echo "purged: the $(wc -l <"$tmp/files.txt") paths of dpkg -L, the user, the group and the unit links are gone"
echo "PASS (installed and purged) in $((SECONDS - started_at)) s"
