#!/usr/bin/env bash
# Issue 19's throughput figure: the same random search (the same 40 candidates: one seed, no
# promotion) run by `sparse-explorer search --workers W` and by Ray Tune
# (`python -m sparse_explorer.tune --workers W`, Ray started on this machine), each ROUNDS
# times, alternating. Trials per minute = trials / the search seconds of the last record
# (from the run's opening to its last trial told: Ray's start-up counts against Ray), and
# the whole command's wall clock beside it.
#   bench/ray/run.sh    (TRIALS=40 WORKERS=2 IMAGES=6000 ROUNDS=2 OUT=target/bench-ray
#                        PYTHON=target/python/bin/python, with the package installed: cargo
#                        xtask test installs it)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TRIALS=${TRIALS:-40}; WORKERS=${WORKERS:-2}; IMAGES=${IMAGES:-6000}; ROUNDS=${ROUNDS:-2}
OUT=${OUT:-$ROOT/target/bench-ray}
PYTHON=${PYTHON:-$ROOT/target/python/bin/python}
cargo build --release --locked -q -p sparse-cli --manifest-path "$ROOT/Cargo.toml"
BIN=$ROOT/target/release/sparse-explorer
"$PYTHON" -c "import sparse_explorer.tune" \
  || { echo "install the package first: cargo xtask test (or pip install './python[tune]')" >&2; exit 1; }
rm -rf "$OUT"; mkdir -p "$OUT"
SEARCH=(--board arduino-uno --algorithm random --seed 1 --trials "$TRIALS" --epochs 1
        --max-epochs 1 --train-images "$IMAGES" --no-teacher)
for round in $(seq 1 "$ROUNDS"); do
  for runner in cli ray; do
    dir=$OUT/$runner-$round
    started=$(date +%s.%N)
    if [ "$runner" = cli ]; then
      "$BIN" search "${SEARCH[@]}" --workers "$WORKERS" --out "$dir" > "$dir.summary" 2> "$dir.log"
    else
      "$PYTHON" -m sparse_explorer.tune "${SEARCH[@]}" --workers "$WORKERS" --out "$dir" \
        > "$dir.summary" 2> "$dir.log"
    fi
    echo "$(date +%s.%N) - $started" | bc > "$dir.wall"
    echo "$runner round $round: $(cat "$dir.wall") s" >&2
  done
done
"$PYTHON" - "$OUT" "$ROUNDS" "$WORKERS" <<'PY'
import json, pathlib, statistics, sys
out, rounds, workers = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def records(d): return [json.loads(l) for l in (d / "trials.jsonl").read_text().splitlines()]
rows, rates = [], {"cli": [], "ray": []}
reference = None
for r in range(1, rounds + 1):
    for runner in ("cli", "ray"):
        d = out / f"{runner}-{r}"
        recs = records(d)
        arch = {x["id"]: json.dumps(x["architecture"], sort_keys=True) for x in recs}
        if reference is None:
            reference = arch
        assert arch == reference, f"{d}: not the same candidates as the first run"
        seconds = max(x["search_seconds"] for x in recs)
        wall = float((out / f"{runner}-{r}.wall").read_text())
        train = sum(x["train_seconds"] for x in recs)
        rate = len(recs) / seconds * 60
        rates[runner].append(rate)
        rows.append(f"| {runner} | {r} | {len(recs)} | {seconds:.1f} | {rate:.2f} | {wall:.1f} | {train:.1f} |")
print(f"workers {workers}, same {len(reference)} candidates in every run\n")
print("| runner | round | trials | search s | trials/min | command wall s | sum of train s |")
print("|---|---|---|---|---|---|---|")
print("\n".join(rows))
cli, ray = statistics.mean(rates["cli"]), statistics.mean(rates["ray"])
print(f"\nmean trials/min: CLI {cli:.2f}, Ray Tune {ray:.2f}: Ray/CLI = {ray / cli:.3f}")
PY
