#!/usr/bin/env bash
# Issue 19's throughput figure: the same random search (the same 40 candidates: one seed, no
# promotion) run by `sparse-explorer search --workers W` and through Ray Tune
# (`python -m sparse_explorer.tune --workers W`) with Ray started by the command ("ray") and
# with a Ray already running on this machine (`ray start --head`, then `--address auto`:
# "ray-standing", as on a cluster), each ROUNDS times, alternating. Per run: trials per
# minute over the whole search (trials / the search seconds of the last record, from the
# run's opening to its last trial told: Ray's start-up counts against Ray), in steady state
# (trials after the first / the seconds from the first told to the last), and the command's
# wall clock.
#   bench/ray/run.sh    (TRIALS=40 WORKERS=2 IMAGES=6000 ROUNDS=3 OUT=target/bench-ray
#                        PYTHON=target/python/bin/python, with the package installed: cargo
#                        xtask test installs it)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TRIALS=${TRIALS:-40}; WORKERS=${WORKERS:-2}; IMAGES=${IMAGES:-6000}; ROUNDS=${ROUNDS:-3}
OUT=${OUT:-$ROOT/target/bench-ray}
PYTHON=${PYTHON:-$ROOT/target/python/bin/python}
cargo build --release --locked -q -p sparse-cli --manifest-path "$ROOT/Cargo.toml"
BIN=$ROOT/target/release/sparse-explorer
"$PYTHON" -c "import sparse_explorer.tune" \
  || { echo "install the package first: cargo xtask test (or pip install './python[tune]')" >&2; exit 1; }
rm -rf "$OUT"; mkdir -p "$OUT"
SEARCH=(--board arduino-uno --algorithm random --seed 1 --trials "$TRIALS" --epochs 1
        --max-epochs 1 --train-images "$IMAGES" --no-teacher)
RAY=$(dirname "$PYTHON")/ray
for round in $(seq 1 "$ROUNDS"); do
  for runner in cli ray ray-standing; do
    dir=$OUT/$runner-$round
    [ "$runner" = ray-standing ] && "$RAY" start --head --num-cpus "$WORKERS" \
      --include-dashboard=false > "$dir.ray-start" 2>&1
    started=$(date +%s.%N)
    case $runner in
      cli) "$BIN" search "${SEARCH[@]}" --workers "$WORKERS" --out "$dir" ;;
      ray) "$PYTHON" -m sparse_explorer.tune "${SEARCH[@]}" --workers "$WORKERS" --out "$dir" ;;
      ray-standing) "$PYTHON" -m sparse_explorer.tune "${SEARCH[@]}" --workers "$WORKERS" \
                      --address auto --out "$dir" ;;
    esac > "$dir.summary" 2> "$dir.log"
    echo "$(date +%s.%N) - $started" | bc > "$dir.wall"
    [ "$runner" = ray-standing ] && "$RAY" stop > /dev/null 2>&1
    echo "$runner round $round: $(cat "$dir.wall") s" >&2
  done
done
"$PYTHON" - "$OUT" "$ROUNDS" "$WORKERS" <<'PY'
import json, pathlib, statistics, sys
out, rounds, workers = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def records(d): return [json.loads(l) for l in (d / "trials.jsonl").read_text().splitlines()]
RUNNERS = ("cli", "ray", "ray-standing")
rows, rates, steady = [], {r: [] for r in RUNNERS}, {r: [] for r in RUNNERS}
reference = None
for r in range(1, rounds + 1):
    for runner in RUNNERS:
        d = out / f"{runner}-{r}"
        recs = records(d)
        arch = {x["id"]: json.dumps(x["architecture"], sort_keys=True) for x in recs}
        if reference is None:
            reference = arch
        assert arch == reference, f"{d}: not the same candidates as the first run"
        told = sorted(x["search_seconds"] for x in recs)
        wall = float((out / f"{runner}-{r}.wall").read_text())
        train = sum(x["train_seconds"] for x in recs)
        rate = len(recs) / told[-1] * 60
        settled = (len(recs) - 1) / (told[-1] - told[0]) * 60
        rates[runner].append(rate)
        steady[runner].append(settled)
        rows.append(f"| {runner} | {r} | {len(recs)} | {told[0]:.1f} | {told[-1]:.1f} | {rate:.1f} "
                    f"| {settled:.1f} | {wall:.1f} | {train:.1f} |")
print(f"workers {workers}, the same {len(reference)} candidates in every run\n")
print("| runner | round | trials | first told s | last told s | trials/min | steady trials/min "
      "| command wall s | sum of train s |")
print("|---|---|---|---|---|---|---|---|---|")
print("\n".join(rows))
print()
mean = {r: statistics.mean(rates[r]) for r in RUNNERS}
settled = {r: statistics.mean(steady[r]) for r in RUNNERS}
for r in RUNNERS:
    print(f"{r}: {mean[r]:.1f} trials/min over the search ({mean[r] / mean['cli']:.3f} of the CLI's), "
          f"{settled[r]:.1f} in steady state ({settled[r] / settled['cli']:.3f})")
PY
