#!/usr/bin/env bash
# Fits the latency model (issue 18): cycles per unit of work of the exported C kernels on the
# ATmega328P (simavr, cycle-accurate) and instructions on the Cortex-M0 and M4 (qemu
# -icount). Random searches on MNIST under three boards' budgets (Uno, micro:bit, Nano 33 BLE)
# and the hand-written networks of archs/ (unpruned and magnitude-pruned) give a spread of
# trained models; each is exported and verified, which times every layer on every emulated
# core that it fits; fit.py then fits each core's prices by non-negative least squares on
# relative error, per layer, and reports the error of each model's total on half the models
# when fitted on the other half, and on all when fitted on all.
#   bench/latency/run.sh    (TRIALS=30 SEEDS="1 2" BUILD=/tmp/latency-bench OUT=bench/latency/out;
#                            REVERIFY=1 exports OUT/models again from their model.json, then
#                            verifies and fits them, without searching or training)
# Installs numpy and scipy (pinned) into BUILD/venv. Writes OUT/runs (search folders),
# OUT/models (exports), OUT/verify/*.json (verify's JSON), OUT/fit.md and OUT/prices.rs (the
# arrays to paste into crates/core/src/latency.rs).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TRIALS=${TRIALS:-30}; SEEDS=${SEEDS:-"1 2"}
NUMPY_VERSION=${NUMPY_VERSION:-2.4.6}; SCIPY_VERSION=${SCIPY_VERSION:-1.16.3}
BUILD=${BUILD:-${TMPDIR:-/tmp}/latency-bench}
OUT=${OUT:-$HERE/out}
mkdir -p "$OUT/runs" "$OUT/models" "$OUT/verify" "$BUILD"
[ -x "$BUILD/venv/bin/python" ] || python3 -m venv "$BUILD/venv"
"$BUILD/venv/bin/python" -c "import numpy, scipy" 2>/dev/null \
  || "$BUILD/venv/bin/pip" install -q "numpy==$NUMPY_VERSION" "scipy==$SCIPY_VERSION" >&2
cargo build --release --locked -q -p sparse-cli --manifest-path "$ROOT/Cargo.toml"
BIN=$ROOT/target/release/sparse-explorer
rm -f "$OUT"/verify/*.json
if [ -z "${REVERIFY:-}" ]; then
  rm -rf "${OUT:?}"/models/*
  for board in arduino-uno microbit-v1 nano33-ble; do
    for seed in $SEEDS; do
      run=$OUT/runs/$board-$seed
      rm -rf "$run"
      echo "== $board, seed $seed" >&2
      "$BIN" search --dataset mnist --board "$board" --algorithm random --trials "$TRIALS" \
        --epochs 1 --train-images 3000 --test-images 500 --seed "$seed" --no-teacher \
        --out "$run" >&2
      for model in "$run"/networks/*.int8.json; do
        id=$(basename "$model" .int8.json)
        "$BIN" export --run "$run" --trial "$id" --out "$OUT/models/$board-$seed-$id" >/dev/null
      done
    done
  done
  # Hand-written networks the searches seldom draw (dense-only, separable, average-pooled),
  # unpruned and magnitude-pruned.
  for arch in "$HERE"/archs/*.json; do
    for sparsity in 0 0.5 0.9; do
      name=hand-$(basename "$arch" .json)-$sparsity
      prune=(--prune magnitude --sparsity "$sparsity")
      [ "$sparsity" = 0 ] && prune=(--prune none)
      "$BIN" train --dataset mnist --arch "$arch" --limit 3000 --epochs 1 "${prune[@]}" \
        --save "$OUT/runs/$name.json" >/dev/null
      "$BIN" export --model "$OUT/runs/$name.json" --out "$OUT/models/$name" >/dev/null
    done
  done
fi
for model in "$OUT"/models/*/; do
  name=$(basename "$model")
  # Exported again, so that the C is the current export's.
  "$BIN" export --model "$model/model.json" --out "$model" >/dev/null
  "$BIN" verify "$model" --dataset mnist --images 50 --emulated-images 1 --json \
    | tail -n 1 > "$OUT/verify/$name.json" \
    || { echo "verify failed on $name" >&2; rm -f "$OUT/verify/$name.json"; }
done
"$BUILD/venv/bin/python" "$HERE/fit.py" "$OUT"
