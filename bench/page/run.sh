#!/usr/bin/env bash
# The page's 60-minute search on MNIST under SpArSe's budget, in headless Chromium with 2
# workers (bench/page/full-search.mjs): builds the site (cargo xtask build), installs the
# end-to-end tests' pinned playwright-core, then runs it.
#   bench/page/run.sh       (MINUTES=60 SEED=1 WORKERS=2 OUT=bench/page/out by default)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
cargo xtask build
[ -d tests/e2e/node_modules/playwright-core ] || npm ci --prefix tests/e2e --no-audit --no-fund
node "$HERE/full-search.mjs"
