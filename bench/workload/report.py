"""Tables the workload benchmark's results (one JSON line per engine and network): images/s
per network and engine, and the ratios native : PyTorch and wasm : TF.js-wasm. Writes
workload.md and workload.csv beside RESULTS.

    python3 report.py RESULTS_JSONL
"""
import csv
import json
import math
import os
import sys


def geometric_mean(ratios):
    """The geometric mean of the ratios measured, and how many there were."""
    measured = [r for r in ratios if r]
    if not measured:
        return None, 0
    return math.exp(sum(math.log(r) for r in measured) / len(measured)), len(measured)


def engine_kind(engine):
    """Which column an engine's lines fill."""
    if engine.startswith("sparse-explorer native"):
        return "native"
    if engine.startswith("sparse-explorer wasm"):
        return "wasm"
    if engine.startswith("PyTorch"):
        return "torch"
    if "wasm backend" in engine:
        return "tfjs-wasm"
    return None


def main():
    path = sys.argv[1]
    lines = [json.loads(l) for l in open(path) if l.strip().startswith("{")]
    order, nets, engines = [], {}, {}
    for line in lines:
        kind = engine_kind(line["engine"])
        if kind is None:
            continue
        engines[kind] = line["engine"]
        name = line["name"]
        if name not in nets:
            order.append(name)
            nets[name] = {}
        net = nets[name]
        if "macs" in line:
            net["macs"] = line["macs"]
        # Repeats: keep the median later; collect every figure.
        net.setdefault(kind, []).append(line.get("images_per_s") if "error" not in line else None)
    def median(figures):
        """The median of the figures measured (None where none was)."""
        measured = sorted(x for x in figures if x)
        return measured[len(measured) // 2] if measured else None

    rows = []
    for name in order:
        net = nets[name]
        figures = {k: median(net.get(k, [])) for k in ("native", "torch", "wasm", "tfjs-wasm")}

        def ratio(a, b):
            return figures[a] / figures[b] if figures[a] and figures[b] else None

        rows.append({
            "network": name,
            "macs": net.get("macs"),
            **{f"{k} images/s": v for k, v in figures.items()},
            "native / PyTorch": ratio("native", "torch"),
            "wasm / TF.js-wasm": ratio("wasm", "tfjs-wasm"),
        })
    out = os.path.dirname(os.path.abspath(path))
    with open(os.path.join(out, "workload.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)
    number = lambda v: "–" if v is None else f"{v:,.0f}"
    times = lambda v: "–" if v is None else f"{v:.2f}×"
    table = ["| network | MACs | ours native | PyTorch | native / PyTorch | ours wasm | TF.js wasm | wasm / TF.js |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        table.append("| " + " | ".join([
            r["network"], number(r["macs"]), number(r["native images/s"]),
            number(r["torch images/s"]), times(r["native / PyTorch"]), number(r["wasm images/s"]),
            number(r["tfjs-wasm images/s"]), times(r["wasm / TF.js-wasm"]),
        ]) + " |")
    for column, label in (("native / PyTorch", "native ÷ PyTorch"), ("wasm / TF.js-wasm", "wasm ÷ TF.js-wasm")):
        mean, count = geometric_mean(r[column] for r in rows)
        if mean:
            table.append(f"\nGeometric mean of {label}: {mean:.2f}× over {count} networks")
    text = "Images/s, one epoch, one core\n\n" + "\n".join(table) + "\n\nEngines:\n" + "".join(
        f"- {k}: {v}\n" for k, v in engines.items())
    open(os.path.join(out, "workload.md"), "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
