#!/usr/bin/env bash
# The include graph between the source folders, and the rule it must keep: control ->
# config, dataplane -> classifiers -> the shared vocabulary. Prints "FROM -> TO: N files" for
# every edge and exits 1 when an edge points the wrong way, when the shared vocabulary
# includes anything of ours, or when the shipped binary's sources come from tests/.
# Usage: tests/layers/include_graph.sh [SOURCE_ROOT]
set -euo pipefail
cd "${1:-$(dirname "$0")/../..}"
folders=(classifiers config dataplane control)
declare -A forbidden=(
  [classifiers:config]=1 [classifiers:dataplane]=1 [classifiers:control]=1
  [config:dataplane]=1 [config:control]=1 [dataplane:control]=1 [dataplane:config]=1
)
status=0
for from in "${folders[@]}"; do
  for to in "${folders[@]}" tests; do
    [[ $from == "$to" ]] && continue
    n=$( (grep -rl --include='*.h' --include='*.cpp' "#include \"$to/" "$from" || true) | wc -l)
    ((n == 0)) && continue
    echo "$from -> $to: $n files"
    if [[ -n ${forbidden[$from:$to]:-} || $to == tests ]]; then
      grep -rn --include='*.h' --include='*.cpp' "#include \"$to/" "$from" | sed 's/^/  wrong way: /'
      status=1
    fi
  done
done
for vocabulary in classifiers/counter.h classifiers/enum_names.h classifiers/protocol_numbers.h \
                  classifiers/state_pool.h; do
  if grep -n '#include "' "$vocabulary"; then
    echo "$vocabulary: the shared vocabulary includes nothing of ours"
    status=1
  fi
done
# The binary's own sources, and any folder meson enters before it is defined.
if { grep -n "tests/" control/meson.build control/*/meson.build 2>/dev/null
     sed -n "1,/executable('ottscope'/p" meson.build | grep -n "subdir('tests"; } |
   grep -v '^[^:]*:[0-9]*:#'; then
  echo "the shipped binary's sources name tests/"
  status=1
fi
exit $status
