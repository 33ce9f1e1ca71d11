"""Hypervolume against trials for each optimizer (mean and range over seeds): CSV and PNG.
python plot.py OUT, where OUT holds one folder per run named <algorithm>-<seed>."""
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
    runs.setdefault(algorithm, {})[seed] = [r.get("hypervolume", 0.0) for r in records]
    trained = [r for r in records if r.get("val_accuracy") is not None]
    if trained:
        # Chosen by validation accuracy, as a user would; the test split only reports it.
        chosen = max(trained, key=lambda r: r["val_accuracy"])
        top = max(r.get("int8_test_accuracy") or 0.0 for r in trained)
        print(f"{algorithm} seed {seed}: best by validation: int8 test accuracy "
              f"{chosen['int8_test_accuracy']:.4f} at model size {chosen['model_size_bytes']} B, "
              f"working memory {chosen['working_memory_bytes']} B (highest int8 test accuracy "
              f"of any trial {top:.4f})")

with open(out / "hypervolume.csv", "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["algorithm", "seed", "trial", "hypervolume"])
    for algorithm, seeds in sorted(runs.items()):
        for seed, values in sorted(seeds.items()):
            for i, v in enumerate(values, 1):
                writer.writerow([algorithm, seed, i, f"{v:.6f}"])

plt.figure(figsize=(7, 4.5))
for algorithm, seeds in sorted(runs.items()):
    length = min(len(v) for v in seeds.values())
    series = [v[:length] for v in seeds.values()]
    xs = list(range(1, length + 1))
    mean = [sum(s[i] for s in series) / len(series) for i in range(length)]
    low = [min(s[i] for s in series) for i in range(length)]
    high = [max(s[i] for s in series) for i in range(length)]
    plt.plot(xs, mean, label=f"{algorithm} ({len(series)} seeds)")
    plt.fill_between(xs, low, high, alpha=0.2)
    print(f"{algorithm}: mean hypervolume after {length} trials {mean[-1]:.4f} (range {low[-1]:.4f}-{high[-1]:.4f})")
plt.xlabel("trials")
plt.ylabel("hypervolume (error, size/budget, WM/budget; ref 1,1,1)")
plt.title("MNIST, model size ≤ 2,800 B, working memory ≤ 2,048 B")
plt.legend()
plt.grid(alpha=0.3)
plt.tight_layout()
plt.savefig(out / "hypervolume.png", dpi=120)
print(f"wrote {out / 'hypervolume.csv'} and {out / 'hypervolume.png'}")
