"""Hypervolume against search time and against trials for each optimizer (mean and range over
seeds): CSV and PNG. python plot.py OUT, where OUT holds one folder per run named
<algorithm>-<seed>. Time is each record's search_seconds (wall-clock when the trial was told)."""
import csv
import json
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

out = pathlib.Path(sys.argv[1])
runs = {}
for trials in sorted(out.glob("*-*/trials.jsonl")):
    algorithm, seed = trials.parent.name.rsplit("-", 1)
    records = [json.loads(line) for line in trials.read_text().splitlines() if line.strip()]
    runs.setdefault(algorithm, {})[seed] = records
    front = json.loads((trials.parent / "pareto.json").read_text())
    if front:
        # Chosen by validation accuracy among the Pareto members (all fit the budget), as a
        # user would; the test split only reports it.
        chosen = max(front, key=lambda r: r["val_accuracy"])
        print(f"{algorithm} seed {seed}: {len(records)} trials; best member by validation: "
              f"int8 test accuracy {chosen['int8_test_accuracy']:.4f} at model size "
              f"{chosen['model_size_bytes']} B, working memory {chosen['working_memory_bytes']} B, "
              f"{chosen.get('epochs')} epochs")


def seconds(record, index):
    """When the trial was told; runs made before search_seconds count one second a trial."""
    return record.get("search_seconds", float(index + 1))


def hypervolume_at(records, t):
    """The hypervolume once every trial told by time t was in (0 before the first)."""
    value = 0.0
    for i, r in enumerate(records):
        if seconds(r, i) <= t:
            value = r.get("hypervolume", 0.0)
    return value


with open(out / "hypervolume.csv", "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["algorithm", "seed", "trial", "search_seconds", "hypervolume"])
    for algorithm, seeds in sorted(runs.items()):
        for seed, records in sorted(seeds.items()):
            for i, r in enumerate(records):
                writer.writerow([algorithm, seed, i + 1, f"{seconds(r, i):.1f}",
                                 f"{r.get('hypervolume', 0.0):.6f}"])

fig, (by_time, by_trials) = plt.subplots(1, 2, figsize=(12, 4.5))
final = {}
for algorithm, seeds in sorted(runs.items()):
    end = min(seconds(r[-1], len(r) - 1) for r in seeds.values())
    grid = [end * k / 200 for k in range(201)]
    series = [[hypervolume_at(r, t) for t in grid] for r in seeds.values()]
    minutes = [t / 60 for t in grid]
    mean = [sum(s[k] for s in series) / len(series) for k in range(len(grid))]
    low = [min(s[k] for s in series) for k in range(len(grid))]
    high = [max(s[k] for s in series) for k in range(len(grid))]
    by_time.plot(minutes, mean, label=f"{algorithm} ({len(series)} seeds)")
    by_time.fill_between(minutes, low, high, alpha=0.2)
    final[algorithm] = (mean[-1], low[-1], high[-1], end)

    length = min(len(r) for r in seeds.values())
    values = [[r[i].get("hypervolume", 0.0) for i in range(length)] for r in seeds.values()]
    xs = list(range(1, length + 1))
    by_trials.plot(xs, [sum(v[i] for v in values) / len(values) for i in range(length)],
                   label=algorithm)
    by_trials.fill_between(xs, [min(v[i] for v in values) for i in range(length)],
                           [max(v[i] for v in values) for i in range(length)], alpha=0.2)

for algorithm, (mean, low, high, end) in sorted(final.items()):
    print(f"{algorithm}: hypervolume after {end / 60:.1f} min: mean {mean:.4f} "
          f"(seeds {low:.4f}-{high:.4f}, spread {high - low:.4f})")
if "mobo" in final:
    others = [a for a in final if a != "mobo"]
    for other in others:
        lead = final["mobo"][0] - final[other][0]
        spread = max(final["mobo"][2] - final["mobo"][1], final[other][2] - final[other][1])
        verdict = "larger" if abs(lead) > spread else "not larger"
        print(f"mobo - {other}: {lead:+.4f} in mean hypervolume, {verdict} than the seeds' "
              f"spread ({spread:.4f})")
by_time.set_xlabel("search time (minutes)")
by_trials.set_xlabel("trials")
for axes in (by_time, by_trials):
    axes.set_ylabel("hypervolume (error, size/budget, WM/budget; ref 1,1,1)")
    axes.grid(alpha=0.3)
    axes.legend()
fig.suptitle("MNIST, model size ≤ 2,800 B, working memory ≤ 2,048 B")
fig.tight_layout()
fig.savefig(out / "hypervolume.png", dpi=120)
print(f"wrote {out / 'hypervolume.csv'} and {out / 'hypervolume.png'}")
