#!/usr/bin/env bash
# Compares the search's optimizers on MNIST under SpArSe's Arduino budget: random, evolution
# and mobo, SEEDS seeds each, for TIME_LIMIT each (equal wall-clock time; or TRIALS trials each
# when TIME_LIMIT is empty), then plots hypervolume against time and against trials.
#   bench/search/run.sh     (TIME_LIMIT=5m SEEDS="1 2 3" TRAIN_IMAGES=12000 WORKERS=one per core
#                            by default; TRIALS=N with TIME_LIMIT= counts trials instead; EPOCHS
#                            and MAX_EPOCHS pass on to the search, whose defaults they are not)
# Budget: SpArSe's, 2,800 B of model size (non-zero int8 parameters; MEASURE=export counts the
# export's flash instead, stricter) and 2,048 B of SRAM for working memory. Writes
# bench/search/out/: one run folder per optimizer and seed, hypervolume.csv and hypervolume.png.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TIME_LIMIT=${TIME_LIMIT-5m}; SEEDS=${SEEDS:-"1 2 3"}; MEASURE=${MEASURE:-model-size}
WORKERS=${WORKERS:-$(nproc)}
TRAIN_IMAGES=${TRAIN_IMAGES-12000}
OPTIONS=()
[ -n "$TRAIN_IMAGES" ] && OPTIONS+=(--train-images "$TRAIN_IMAGES")
[ -n "${EPOCHS:-}" ] && OPTIONS+=(--epochs "$EPOCHS")
[ -n "${MAX_EPOCHS:-}" ] && OPTIONS+=(--max-epochs "$MAX_EPOCHS")
if [ -n "$TIME_LIMIT" ]; then OPTIONS+=(--time-limit "$TIME_LIMIT"); else OPTIONS+=(--trials "${TRIALS:-40}"); fi
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
      --algorithm "$algorithm" --workers "$WORKERS" "${OPTIONS[@]}" --seed "$seed" --out "$dir" | tail -1
  done
done
[ -x "$OUT/venv/bin/python" ] || python3 -m venv "$OUT/venv"
"$OUT/venv/bin/python" -c "import matplotlib; assert matplotlib.__version__ == '3.10.8'" 2>/dev/null \
  || "$OUT/venv/bin/pip" install -q matplotlib==3.10.8
"$OUT/venv/bin/python" "$HERE/plot.py" "$OUT"
