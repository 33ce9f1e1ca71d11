#!/usr/bin/env bash
# The workload benchmark (issue 15): the search's own trainer on a fixed suite of 8 networks
# drawn from the search space (about 4 K to 192 K multiply-accumulates, every layer kind),
# natively and as wasm32+simd128 in node, then the same networks in PyTorch (CPU) and
# TensorFlow.js (wasm backend, SIMD), each engine pinned to one core, one after another,
# REPEATS times; then a table of images/s and the ratios native : PyTorch and wasm : TF.js.
# Every engine trains one epoch of the first IMAGES MNIST training images with Adam at 0.003,
# batches of 32, the loss read back every step, timed after throwaway copies of the network have
# trained rounds of 10 batches for 2 s untimed (warm-up: JIT tiers, allocators, caches).
#   bench/workload/run.sh   (IMAGES=10000 REPEATS=2 BUILD=/tmp/peers-bench OUT=bench/workload/out)
# Needs wasm-bindgen (cargo xtask build or test installs it). Installs, into BUILD, PyTorch
# TORCH_VERSION (the PyPI wheel, about 5 GB with its CUDA packages; only its CPU path runs)
# and TensorFlow.js 4.22.0. Writes OUT/results.jsonl, suite.json, workload.md, workload.csv.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
IMAGES=${IMAGES:-10000}; REPEATS=${REPEATS:-2}
TORCH_VERSION=${TORCH_VERSION:-2.15.0}; NUMPY_VERSION=${NUMPY_VERSION:-2.4.6}
BUILD=${BUILD:-${TMPDIR:-/tmp}/peers-bench}
OUT=${OUT:-$HERE/out}
MNIST=$ROOT/www/data/mnist
PIN="taskset -c 0"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 RAYON_NUM_THREADS=1
mkdir -p "$OUT" "$BUILD/workload-tfjs"
cd "$ROOT"
command -v wasm-bindgen >/dev/null || { echo "wasm-bindgen is missing: run cargo xtask build first" >&2; exit 1; }
cargo bench --locked -q -p sparse-train --bench workload --no-run
cargo build --locked --profile web-worker -q --target wasm32-unknown-unknown -p sparse-web --bin bench
wasm-bindgen --target nodejs --out-dir target/bench-wasm target/wasm32-unknown-unknown/web-worker/bench.wasm
cp "$HERE/package.json" "$BUILD/workload-tfjs/"
[ -d "$BUILD/workload-tfjs/node_modules/@tensorflow/tfjs-backend-wasm" ] \
  || (cd "$BUILD/workload-tfjs" && npm install --no-audit --no-fund >&2)
[ -x "$BUILD/venv/bin/python" ] || python3 -m venv "$BUILD/venv"
"$BUILD/venv/bin/python" -c "import torch, numpy; assert torch.__version__.startswith('$TORCH_VERSION')" 2>/dev/null \
  || "$BUILD/venv/bin/pip" install -q "torch==$TORCH_VERSION" "numpy==$NUMPY_VERSION" >&2
RESULTS=$OUT/results.jsonl; SUITE=$OUT/suite.json
: > "$RESULTS"
run() { echo "+ $*" >&2; $PIN "$@" | tee -a "$RESULTS"; }
for _ in $(seq 1 "$REPEATS"); do
  run env SUITE_JSON="$SUITE" IMAGES="$IMAGES" cargo bench --locked -q -p sparse-train --bench workload
  run node tests/bench/wasm.cjs target/bench-wasm/bench.js "$MNIST" workload "$IMAGES"
  run "$BUILD/venv/bin/python" "$HERE/torch_workload.py" "$SUITE" "$MNIST" "$IMAGES"
  run env NODE_PATH="$BUILD/workload-tfjs/node_modules" node "$HERE/tfjs_workload.js" wasm "$SUITE" "$MNIST" "$IMAGES"
done
python3 "$HERE/report.py" "$RESULTS"
