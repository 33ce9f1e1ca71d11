"""Fits the latency model's prices from `sparse-explorer verify --json` reports (run.sh).

For each core, every timed layer of every model is a row: its work (the report's `work`, in
the order of crates/core/src/latency/work.rs's Work::NAMES) against its measured count, in the
columns of shared or of specialised layers (the report's `specialised`: the compiler inlines a
kernel that one layer alone calls and folds its sizes in). The prices minimise the squared
relative error of the layers, none negative (scipy's nnls). The error
that matters is each model's total: reported fitted on the models of even index and checked
on the odd (held out), then fitted on all (the prices written). Usage: fit.py OUT."""

import json
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

NAMES = [
    "window_reads", "window_reads_sparse", "window_planes", "window_rows",
    "pointwise_reads", "pointwise_reads_sparse", "dense_reads", "dense_reads_sparse",
    "lone_dense_reads", "lone_dense_reads_sparse",
    "nonzero_macs", "requantized", "pool_reads", "maxpool_outputs", "avgpool_outputs", "calls",
]
CORES = [("avr", "AVR_PRICES", "cycles"), ("cortex_m0", "CORTEX_M0_PRICES", "instructions"),
         ("cortex_m4", "CORTEX_M4_PRICES", "instructions")]


def models(out, core):
    """(name, work matrix, measured layers) of every report with a timing for `core`."""
    found = []
    for path in sorted((out / "verify").glob("*.json")):
        report = json.loads(path.read_text())
        timing = (report.get(core) or {}).get("timing")
        if timing is None:
            continue
        work = np.array([[layer[n] for n in NAMES] for layer in report["work"]], float)
        specialised = np.array(report["specialised"], float)[:, None]
        work = np.hstack([work * (1 - specialised), work * specialised])
        found.append((path.stem, work, np.array(timing["layers"], float)))
    return found


def fit(chosen):
    a = np.vstack([w / y[:, None] for _, w, y in chosen])
    prices, _ = nnls(a, np.ones(len(a)), maxiter=10000)
    return prices


def total_errors(prices, chosen):
    return np.array([(w @ prices).sum() / y.sum() - 1 for _, w, y in chosen])


def summary(errors):
    e = np.abs(errors) * 100
    return f"median {np.median(e):.1f}%, 90th percentile {np.percentile(e, 90):.1f}%, max {e.max():.1f}%"


def main():
    out = Path(sys.argv[1])
    report, rust = [], []
    for core, const, unit in CORES:
        found = models(out, core)
        if len(found) < 4:
            report.append(f"## {core}: only {len(found)} models timed, not fitted\n")
            continue
        train, held = found[0::2], found[1::2]
        held_errors = total_errors(fit(train), held)
        prices = fit(found)
        all_errors = total_errors(prices, found)
        layers = sum(len(y) for _, _, y in found)
        report.append(f"## {core} ({unit})\n")
        report.append(f"{len(found)} models, {layers} layers timed.\n")
        held_worst = sorted(zip(held_errors, (n for n, _, _ in held)), key=lambda e: -abs(e[0]))[:3]
        report.append(f"- Each model's total, fitted on {len(train)} and checked on the other "
                      f"{len(held)}: {summary(held_errors)} (worst: "
                      + ", ".join(f"{n} {100 * e:+.1f}%" for e, n in held_worst) + ")")
        report.append(f"- Fitted on all {len(found)}: {summary(all_errors)}\n")
        report.append(f"| work | {unit} per unit, shared | specialised |\n|---|---|---|")
        k = len(NAMES)
        report.extend(f"| {n} | {p:.2f} | {q:.2f} |"
                      for n, p, q in zip(NAMES, prices[:k], prices[k:]))
        worst = sorted(zip(all_errors, (n for n, _, _ in found)), key=lambda e: -abs(e[0]))[:3]
        report.append("\nWorst models: " + ", ".join(f"{n} {100 * e:+.1f}%" for e, n in worst) + "\n")
        halves = (", ".join(f"{p:.3f}" for p in half) for half in (prices[:k], prices[k:]))
        rust.append(f"const {const}: [[f64; Work::KINDS]; 2] = [\n    [{next(halves)}],\n"
                    f"    [{next(halves)}],\n];")
    (out / "fit.md").write_text("\n".join(report) + "\n")
    (out / "prices.rs").write_text("\n".join(rust) + "\n")
    print("\n".join(report))
    print("\n".join(rust))


main()
