#!/usr/bin/env bash
# The page's weight (issue 15): each file of the built site (dist/, from `cargo xtask build`)
# raw and gzipped at level 9, as a server compresses it, and the two wasm modules together,
# whose target is 1.0 MB gzipped. MNIST (www/data) is counted apart: it ships gzipped.
#   cargo xtask build && bench/page/weight.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIST=${DIST:-$ROOT/dist}
[ -d "$DIST" ] || { echo "no $DIST: run cargo xtask build first" >&2; exit 1; }
wasm=0
printf '%-44s %12s %12s\n' file bytes gzipped
for f in "$DIST"/*.*; do
  raw=$(stat -c %s "$f"); gz=$(gzip -9c "$f" | wc -c)
  printf '%-44s %12d %12d\n' "$(basename "$f")" "$raw" "$gz"
  [[ $f == *.wasm ]] && wasm=$((wasm + gz))
done
printf '%-44s %12s %12d  (%s MB)\n' "both wasm modules" "" "$wasm" "$(awk "BEGIN{printf \"%.3f\", $wasm/1e6}")"
du -sb "$DIST/data" | awk '{printf "%-44s %12d  (already gzipped)\n", "data/ (MNIST)", $1}'
