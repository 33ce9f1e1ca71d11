#!/usr/bin/env bash
# The page's workers against node and against each other (issue 15): the skeleton CNN trained
# one epoch as design mode trains it, in node's wasm (the same code, `design` in
# crates/web/src/bin/bench.rs) and then in the page's worker in headless Chromium; then the
# quick demo's trials per minute with 1 and 2 workers, and the same 40 random candidates
# searched with 1 and 2 (about 15 minutes in all). Nothing else should run meanwhile.
#   bench/page/workers.sh   (RANDOM_TRIALS=40)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
cargo xtask build
command -v wasm-bindgen >/dev/null || { echo "wasm-bindgen is missing: run cargo xtask build first" >&2; exit 1; }
cargo build --locked --profile web-worker -q --target wasm32-unknown-unknown -p sparse-web --bin bench
wasm-bindgen --target nodejs --out-dir target/bench-wasm target/wasm32-unknown-unknown/web-worker/bench.wasm
[ -d tests/e2e/node_modules/playwright-core ] || npm ci --prefix tests/e2e --no-audit --no-fund
echo "node (wasm32+simd128), the skeleton as design mode trains it:"
node tests/bench/wasm.cjs target/bench-wasm/bench.js www/data/mnist design
echo "the page (headless Chromium):"
node "$HERE/workers.mjs"
