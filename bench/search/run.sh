#!/usr/bin/env bash
# Compares the search's optimizers on MNIST under SpArSe's Arduino budget: random, evolution
# and mobo, SEEDS seeds each, TRIALS trials each, then plots hypervolume against trials.
#   bench/search/run.sh     (TRIALS=40 SEEDS="1 2 3" EPOCHS=1 WORKERS=one per core by default;
#                            TRAIN_IMAGES=N searches on the first N training images)
# Budget: SpArSe's, 2,800 B of model size (non-zero int8 parameters; MEASURE=export counts the
# export's flash instead, stricter) and 2,048 B of SRAM for working memory. Writes
# bench/search/out/: one run folder per optimizer and seed, hypervolume.csv and hypervolume.png.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TRIALS=${TRIALS:-40}; SEEDS=${SEEDS:-"1 2 3"}; EPOCHS=${EPOCHS:-1}; MEASURE=${MEASURE:-model-size}
WORKERS=${WORKERS:-$(nproc)}
SLICE=()
[ -n "${TRAIN_IMAGES:-}" ] && SLICE=(--train-images "$TRAIN_IMAGES")
OUT=${OUT:-$HERE/out}
mkdir -p "$OUT"
cargo build --release --locked -q -p sparse-cli --manifest-path "$ROOT/Cargo.toml"
BIN=$ROOT/target/release/sparse-explorer
for algorithm in random evolution mobo; do
  for seed in $SEEDS; do
    dir=$OUT/$algorithm-$seed
    rm -rf "$dir"
    echo "== $algorithm, seed $seed" >&2
    "$BIN" search --dataset mnist --flash-bytes 2800 --sram-bytes 2048 --flash-measure "$MEASURE" \
      --algorithm "$algorithm" --workers "$WORKERS" "${SLICE[@]}" --trials "$TRIALS" --epochs "$EPOCHS" --seed "$seed" --out "$dir" | tail -1
  done
done
[ -x "$OUT/venv/bin/python" ] || python3 -m venv "$OUT/venv"
"$OUT/venv/bin/python" -c 'import matplotlib' 2>/dev/null || "$OUT/venv/bin/pip" install -q matplotlib
"$OUT/venv/bin/python" "$HERE/plot.py" "$OUT"
