"""Side by side: QKeras fixed widths/sparsities vs learned-precision (HGQ) resource targets on the jet MLP (issue 17).

Per seed, one float model is trained (``models/jet_mlp.yml``'s network and data settings; the recipe seed also sets
the train/val/test split, so both paths of one seed share jets *and* split). From it:
(a) QKeras path: ``models/jet_mlp.yml``'s compress section (QAT + pruning + distillation) at each ``--qkeras``
    point ``BITS:SPARSITY``;
(b) learned precision: ``models/jet_mlp_hgq.yml``'s compress section with ``compress.target: {lut: N}`` per
    ``--targets`` value (beta steered by edgenn's controller; a missed target is recorded as refused).
Every compressed point is exported with ``edgenn export --target fpga`` twice, strategy distributed_arithmetic (LUT
by da4ml) and Latency (LUT by edgenn's analytic model; a lower bound on HGQ proxies), each C-simulated against its
reference (bit-exact fraction recorded).

Resumable: every (path, point, seed, strategy) is one JSON cell under ``--results``; a cell that exists is not
redone, and runs already made under ``--runs`` are reused. ``--table`` only reads the cells: prints the Markdown table
(seed means and spreads), the LUT at which each path first reaches the float accuracy minus 0.5 and minus 1 point
(on its DA Pareto front of seed means) and the ratio between the paths, and writes the Pareto plot.

    edgenn data generate jets --out data/jets30k --jets-per-class 6000 --fast
    nice -n 15 python benchmarks/hgq_vs_qkeras.py --data data/jets30k --runs runs/hgq_vs_qkeras \
        --results benchmarks/results/hgq_vs_qkeras
    python benchmarks/hgq_vs_qkeras.py --results benchmarks/results/hgq_vs_qkeras --table --plot hgq_vs_qkeras.png
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
STRATEGIES = ("distributed_arithmetic", "Latency")
LUT_AXIS = "LUT (distributed_arithmetic: da4ml adder-bit cost; no vendor tool)"


def _recipe(base: str, data: Path, seed: int, epochs: int | None, compress_epochs: int | None) -> dict:
    spec = yaml.safe_load((ROOT / "models" / f"{base}.yml").read_text())
    spec["data"]["path"] = str(data)
    spec["seed"] = seed
    spec["name"] = f"{base}_s{seed}"
    if epochs:
        spec["train"]["epochs"] = epochs
    if compress_epochs:
        spec["compress"]["epochs"] = compress_epochs
    return spec


def points(args) -> list[tuple[str, str, dict]]:
    """(path, point label, compress section) for every point of the comparison."""
    qkeras = yaml.safe_load((ROOT / "models" / "jet_mlp.yml").read_text())["compress"]
    hgq = yaml.safe_load((ROOT / "models" / "jet_mlp_hgq.yml").read_text())["compress"]
    out = []
    for point in args.qkeras:
        bits, sparsity = point.split(":")
        c = json.loads(json.dumps(qkeras))
        c["qat"]["weight"]["bits"] = int(bits)
        c["prune"]["final_sparsity"] = float(sparsity)
        out.append(("qkeras", f"w{bits}_s{sparsity}", c))
    for lut in args.targets:
        c = json.loads(json.dumps(hgq))
        c["target"] = {"lut": int(lut)}
        out.append(("hgq", f"lut{lut}", c))
    return out


def cell_path(results: Path, path: str, label: str, seed: int, strategy: str) -> Path:
    return results / f"{path}__{label}__seed{seed}__{strategy}.json"


def write_cell(path: Path, cell: dict) -> None:
    from edgenn.io import atomic_write_json

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, cell)


def run_cells(args) -> None:
    import edgenn
    from edgenn.errors import EdgennError

    for seed in args.seeds:
        base = args.runs / f"seed{seed}"
        train_spec = _recipe("jet_mlp", args.data, seed, args.epochs, args.compress_epochs)
        base.mkdir(parents=True, exist_ok=True)
        if not (base / "train" / "manifest.json").exists():
            recipe = base / "train.yml"
            recipe.write_text(yaml.safe_dump(train_spec))
            edgenn.train(recipe, out=base / "train", progress=False, report=False)
        float_metrics = json.loads((base / "train" / "metrics.json").read_text())
        for path, label, compress in points(args):
            todo = [s for s in STRATEGIES if not cell_path(args.results, path, label, seed, s).exists()]
            if not todo:
                continue
            run_dir = base / label
            run_dir.mkdir(exist_ok=True)
            if not (run_dir / "train").exists():
                (run_dir / "train").symlink_to((base / "train").resolve())
            spec = {**train_spec, "compress": {**compress, "epochs": args.compress_epochs or compress["epochs"]}}
            recipe = run_dir / "recipe.yml"
            recipe.write_text(yaml.safe_dump(spec))
            common = {"path": path, "point": label, "seed": seed, "jets": float_metrics.get("num_samples"),
                      "float_accuracy": float_metrics["accuracy"], "recipe": spec["compress"]}
            t0 = time.perf_counter()
            try:
                if not (run_dir / "compress" / "manifest.json").exists():
                    edgenn.compress(run_dir, recipe=recipe, out=run_dir / "compress", progress=False, report=False)
            except EdgennError as exc:  # a missed resource target: the refusal is the result of this point
                for strategy in todo:
                    write_cell(cell_path(args.results, path, label, seed, strategy),
                               {**common, "strategy": strategy, "refused": str(exc)})
                continue
            compress_metrics = json.loads((run_dir / "compress" / "metrics.json").read_text())
            after = compress_metrics["compression"]["after"]
            common.update(compressed_accuracy=compress_metrics["accuracy"], ebops=after.get("ebops"),
                          target=after.get("target"), compress_s=round(time.perf_counter() - t0, 1))
            for strategy in todo:
                t0 = time.perf_counter()
                out = run_dir / f"fpga_{strategy}"
                try:
                    edgenn.export(run_dir, target="fpga", out=out, strategy=strategy, progress=False, report=False)
                except EdgennError as exc:
                    write_cell(cell_path(args.results, path, label, seed, strategy),
                               {**common, "strategy": strategy, "export_error": str(exc)})
                    continue
                report = json.loads((out / "report.json").read_text())  # the record as written, any schema
                figures = report["figures"]

                def value(name):
                    return figures.get(name, {}).get("value")

                lut = figures.get("lut", {})
                write_cell(cell_path(args.results, path, label, seed, strategy), {
                    **common, "strategy": strategy, "firmware_accuracy": value("accuracy"),
                    "bit_exact_fraction": value("bit_exact_fraction"),
                    "samples": (report.get("bitexact") or {}).get("num_samples"),
                    "lut": lut.get("value"), "lut_method": lut.get("method"), "lut_bound": lut.get("bound", ""),
                    "dsp": value("dsp"), "latency_ns": value("latency_ns"), "ii_cycles": value("ii_cycles"),
                    "export_s": round(time.perf_counter() - t0, 1)})
                print(f"cell {path} {label} seed {seed} {strategy}: acc {value('accuracy')} "
                      f"lut {lut.get('value')} exact {value('bit_exact_fraction')}", flush=True)


def load_cells(results: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(results.glob("*.json"))]


def summarise(cells: list[dict]) -> list[dict]:
    """Seed means per (path, point, strategy) of the exported cells."""
    groups: dict[tuple, list[dict]] = {}
    for c in cells:
        groups.setdefault((c["path"], c["point"], c["strategy"]), []).append(c)
    rows = []
    for (path, point, strategy), group in sorted(groups.items()):
        ok = [c for c in group if c.get("firmware_accuracy") is not None]
        row = {"path": path, "point": point, "strategy": strategy, "seeds": len(group), "exported": len(ok),
               "refused": sum(1 for c in group if "refused" in c)}
        if ok:
            acc = [c["firmware_accuracy"] for c in ok]
            row.update(accuracy=statistics.mean(acc), accuracy_sd=statistics.stdev(acc) if len(acc) > 1 else 0.0,
                       float_accuracy=statistics.mean(c["float_accuracy"] for c in ok),
                       lut=statistics.mean(c["lut"] for c in ok), lut_method=ok[0]["lut_method"],
                       lut_bound=ok[0].get("lut_bound", ""), exact=min(c["bit_exact_fraction"] for c in ok),
                       samples=min(c["samples"] for c in ok),
                       ebops=statistics.mean(c["ebops"] for c in ok) if ok[0].get("ebops") else None)
        rows.append(row)
    return rows


def lut_to_reach(rows: list[dict], path: str, drop: float) -> float | None:
    """Smallest DA LUT among the path's points whose seed-mean accuracy is >= float - drop."""
    fit = [r["lut"] for r in rows if r["path"] == path and r["strategy"] == "distributed_arithmetic"
           and "accuracy" in r and r["accuracy"] >= r["float_accuracy"] - drop]
    return min(fit) if fit else None


def table(rows: list[dict]) -> str:
    lines = ["| path | point | strategy | seeds (exported) | firmware accuracy (mean ± sd) | float | LUT (method) "
             "| EBOPs | bit-exact (min, samples) |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "accuracy" not in r:
            lines.append(f"| {r['path']} | {r['point']} | {r['strategy']} | {r['seeds']} (0; refused "
                         f"{r['refused']}) | - | - | - | - | - |")
            continue
        lut = f"{'≥ ' if r['lut_bound'] == 'lower' else ''}{r['lut']:,.0f} ({r['lut_method']})"
        ebops = f"{r['ebops']:,.0f}" if r.get("ebops") else "-"
        lines.append(f"| {r['path']} | {r['point']} | {r['strategy']} | {r['seeds']} ({r['exported']}) | "
                     f"{r['accuracy']:.4f} ± {r['accuracy_sd']:.4f} | {r['float_accuracy']:.4f} | {lut} | {ebops} | "
                     f"{r['exact']:.4f} ({r['samples']:,}) |")
    out = "\n".join(lines) + "\n\n"
    for drop in (0.005, 0.01):
        q, h = lut_to_reach(rows, "qkeras", drop), lut_to_reach(rows, "hgq", drop)
        ratio = f"{q / h:.2f}x" if q and h else "n/a (a path reaches no point at this accuracy)"
        out += (f"- LUT (DA, da4ml) to reach float accuracy − {drop * 100:g} point(s): QKeras {_count(q)}, "
                f"learned precision {_count(h)}; QKeras / learned = {ratio}\n")
    return out


def _count(value: float | None) -> str:
    return f"{value:,.0f}" if value else "not reached"


def plot(rows: list[dict], cells: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    styles = {"qkeras": ("o", "tab:blue", "QKeras fixed widths"), "hgq": ("s", "tab:red", "learned precision")}
    for key, (marker, color, label) in styles.items():
        pts = [c for c in cells if c["path"] == key and c["strategy"] == "distributed_arithmetic"
               and c.get("firmware_accuracy") is not None]
        ax.scatter([c["lut"] for c in pts], [c["firmware_accuracy"] for c in pts], marker=marker, color=color,
                   alpha=0.35, s=18)
        means = sorted((r["lut"], r["accuracy"]) for r in rows if r["path"] == key
                       and r["strategy"] == "distributed_arithmetic" and "accuracy" in r)
        if means:
            ax.plot(*zip(*means), marker=marker, color=color, label=f"{label} (seed mean)")
    floats = [c["float_accuracy"] for c in cells]
    if floats:
        ax.axhline(statistics.mean(floats), color="grey", ls="--", lw=1, label="float model")
    ax.set_xscale("log")
    ax.set_xlabel(LUT_AXIS)
    ax.set_ylabel("firmware accuracy (C simulation, test jets)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path)
    ap.add_argument("--runs", type=Path, default=Path("runs/hgq_vs_qkeras"))
    ap.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results" / "hgq_vs_qkeras")
    ap.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    ap.add_argument("--qkeras", nargs="+", default=["4:0.8", "6:0.8", "8:0.5", "6:0.5"],
                    help="BITS:SPARSITY points of the QKeras path")
    ap.add_argument("--targets", type=int, nargs="+", default=[3000, 8000, 15000, 30000],
                    help="LUT targets of the learned-precision path")
    ap.add_argument("--epochs", type=int, default=None, help="float training epochs (default: the recipe's)")
    ap.add_argument("--compress-epochs", type=int, default=None)
    ap.add_argument("--table", action="store_true", help="only print the table from the cells")
    ap.add_argument("--plot", type=Path, default=None)
    args = ap.parse_args()
    if not args.table:
        if args.data is None:
            ap.error("--data is needed to run cells")
        run_cells(args)
    cells = load_cells(args.results)
    rows = summarise(cells)
    print(table(rows))
    if args.plot:
        plot(rows, cells, args.plot)


if __name__ == "__main__":
    main()
