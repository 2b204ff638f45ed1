#!/usr/bin/env bash
# Builds the Debian package the Debian way (dpkg-buildpackage, debhelper, debian/) from a
# copy of this tree, and leaves ottscope_<version>_<arch>.deb in build/deb/ (or OUT_DIR).
# Installs the build dependencies first (deploy/install-deps.sh). Install the result with
#   apt install ./build/deb/ottscope_*.deb
# The copy keeps the checkout clean (debian/ottscope/, obj-*/) and its fixed path lets ccache
# reuse the objects of the previous package build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${OUT_DIR:-$root/build/deb}"
work="${WORK_DIR:-$root/build/deb-src}"

if [[ "${SKIP_DEPS:-}" != 1 ]]; then
  bash "$root/deploy/install-deps.sh"
fi

src="$work/ottscope"
rm -rf "$src"
mkdir -p "$src" "$out"
# Every top-level entry but build folders (build/, build-asan/, ...) and version control.
tar -C "$root" --exclude './build*' --exclude './.git' --exclude './obj-*' -cf - . |
  tar -C "$src" -xf -

# debhelper (compat 13) gives the build a HOME of its own, where ccache would start empty:
# point it at the usual cache so a rebuild of the same tree takes seconds.
if command -v ccache >/dev/null && [[ -z "${CCACHE_DIR:-}" ]]; then
  CCACHE_DIR="$(ccache -k cache_dir)"
  export CCACHE_DIR
fi

cd "$src"
# -b: binary packages only (no source tarball); -us -uc: unsigned.
dpkg-buildpackage -us -uc -b
version="$(dpkg-parsechangelog -S Version)"
arch="$(dpkg-architecture -qDEB_HOST_ARCH)"
deb="ottscope_${version}_${arch}.deb"
mv -f "$work/$deb" "$out/"
rm -f "$work"/ottscope_"${version}"_*.buildinfo "$work"/ottscope_"${version}"_*.changes \
  "$work"/ottscope-dbgsym_"${version}"_*.deb
echo "build-deb: $out/$deb"
