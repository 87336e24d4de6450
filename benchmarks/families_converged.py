"""The converged family comparison (issue 16, item 4): every classifier family on >= 100,000 faithful jets from the
shard cache, float training ended by early stopping (not an epoch cap), several seeds, one result cell per
family x seed, each compressed and exported at its recipe's trigger-rate settings and checked against its budget.

    nice -n 15 python benchmarks/families_converged.py run --jets 100000 --seeds 42 --only jet_mlp jedi_linear
    nice -n 15 python benchmarks/families_converged.py run --jets 100000 --seeds 42 43 44     # everything else
    python benchmarks/families_converged.py table --plot docs/families_pareto.png

Data: the first ``--jets`` / 5 jets per class of the default ``hls4ml`` definition (MPI on, seed 1), taken from the
shard cache that ``edgenn data generate jets`` fills (nothing is generated here: a cache that holds fewer jets is
refused with the command that fills it). Splits: val 0.10, test 0.20 (20,000 test jets at 100k; the C simulation runs
on 10,000 of them). The recipe seed draws the split, so all families of one seed share jets and split. Each step is
the CLI command recorded in the cell (benchmarks/families.py runs them); a finished step is not rerun, a finished cell
(``--results``/<family>__seed<seed>.json) is not redone: rerun the same command to resume.

Figures per cell: float and firmware (C simulation) accuracy and per-class AUC, background rejection 1/eps_B at 50 %
signal efficiency (of the compressed model, equal to the firmware where bit-exact is 1.0), bit-exact fraction,
LUT / FF / DSP, latency and II with the method that made them (no vendor tool: ``analytic`` or ``da4ml``), epochs run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from families import CONVERGED_EPOCHS, ENTRIES, model_figures, run_entry

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "families_converged"
CLASSES = ("q", "g", "W", "Z", "t")


def cached_data(jets: int, out: Path) -> Path:
    """The first ``jets // 5`` cached jets per class as a dataset directory (from the cache only)."""
    from physics_validation import cached_jets_per_class

    from edgenn.datasets import JetGenConfig, generate_jets

    per_class = jets // 5
    config = JetGenConfig(jets_per_class=per_class, seed=1)
    if (out / "jets.h5").is_file():
        return out
    have = cached_jets_per_class(config)
    if have < per_class:
        raise SystemExit(f"the shard cache holds {have} jets per class, {per_class} needed; fill it with "
                         f"`edgenn data generate jets --out data/jets500k --jets-per-class {per_class} --seed 1` "
                         "(resumable) or lower --jets.")
    generate_jets(config, out, progress=False)
    return out


def cell_path(results: Path, name: str, seed: int) -> Path:
    return results / f"{name}__seed{seed}.json"


def make_cell(entry, seed: int, runs: Path, firmware: Path, jets: int) -> dict:  # noqa: ANN001 - families.Entry
    name = f"{entry.name}_s{seed}"
    run, fw = runs / name, firmware / name / "fpga"
    train = json.loads((run / "train" / "metrics.json").read_text())
    compress = json.loads((run / "compress" / "metrics.json").read_text())
    report = json.loads((fw / "report.json").read_text())
    steps = json.loads((run / "steps.json").read_text())
    figs = report["figures"]

    def fig(key: str) -> dict | None:
        f = figs.get(key)
        return None if f is None else {k: f[k] for k in ("value", "method", "bound", "note") if k in f}

    epochs = train.get("epochs_run")
    return {
        "family": entry.name, "label": entry.label, "seed": seed, "jets": jets, "split_sizes": train.get("split_sizes"),
        "epochs_run": epochs, "epoch_ceiling": CONVERGED_EPOCHS, "early_stopped": epochs is not None
        and epochs < CONVERGED_EPOCHS, "float_accuracy": train["accuracy"], "float_auc": train["auc"],
        "firmware_accuracy": figs["accuracy"]["value"],
        "firmware_auc": {c: figs[f"auc.{c}"]["value"] for c in CLASSES if f"auc.{c}" in figs},
        "rejection_at_50": compress.get("rejection_at_50"), "bit_exact": fig("bit_exact_fraction"),
        **{k: fig(k) for k in ("lut", "ff", "dsp", "latency_cycles", "latency_ns", "ii_cycles")},
        "model": model_figures(run), "budget_exit_code": steps.get("check", {}).get("exit_code"),
        "steps": {k: {"command": v["command"], "exit_code": v["exit_code"], "wall_s": round(v["wall_s"], 1)}
                  for k, v in steps.items()},
    }


def run_cells(args: argparse.Namespace) -> None:
    from edgenn.io import atomic_write_json

    data_dir = cached_data(args.jets, args.runs / "data")
    entries = [e for name in (args.only or [e.name for e in ENTRIES]) for e in ENTRIES if e.name == name]
    for seed in args.seeds:
        for entry in entries:
            path = cell_path(args.results, entry.name, seed)
            if path.is_file():
                continue
            name = f"{entry.name}_s{seed}"
            if not run_entry(entry, data_dir, None, None, runs=args.runs, firmware=args.firmware, name=name,
                             seed=seed):
                print(f"{name}: a step failed; see {args.runs / name / 'steps.json'}", flush=True)
                continue
            cell = make_cell(entry, seed, args.runs, args.firmware, args.jets)
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_json(path, cell)
            print(f"cell {entry.name} seed {seed}: firmware {cell['firmware_accuracy']:.4f} (float "
                  f"{cell['float_accuracy']:.4f}, {cell['epochs_run']} epochs), LUT "
                  f"{(cell['lut'] or {}).get('value')} ({(cell['lut'] or {}).get('method')}), II "
                  f"{(cell['ii_cycles'] or {}).get('value')}", flush=True)


def _mean_sd(values: list[float], fmt: str = "{:.4f}") -> str:
    if not values:
        return "-"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{fmt.format(statistics.mean(values))} ± {fmt.format(sd)}"


def _value(cell: dict, key: str) -> float | None:
    return (cell.get(key) or {}).get("value")


def table(cells: list[dict]) -> str:
    lines = ["| family | seeds | jets (train / test) | epochs run | float accuracy | firmware accuracy | "
             "firmware AUC q / g / W / Z / t | rejection @ 50 % W / Z / t | bit-exact (min) | LUT / FF / DSP (method) "
             "| latency ns / II | budget |", "|" + "---|" * 12]
    for entry in ENTRIES:
        group = [c for c in cells if c["family"] == entry.name]
        if not group:
            continue
        sizes = group[0]["split_sizes"] or {}
        aucs = " / ".join(f"{statistics.mean(c['firmware_auc'][k] for c in group):.3f}" for k in CLASSES)
        rej = " / ".join(f"{statistics.mean(c['rejection_at_50'][k] for c in group):.1f}" if all(
            k in (c.get("rejection_at_50") or {}) for c in group) else "-" for k in ("W", "Z", "t"))
        method = sorted({(c.get("lut") or {}).get("method", "?") for c in group})
        hw = " / ".join(f"{statistics.mean(_value(c, k) or 0 for c in group):,.0f}" for k in ("lut", "ff", "dsp"))
        budget = ", ".join("pass" if c["budget_exit_code"] == 0 else "FAIL" for c in group)
        lines.append(
            f"| {entry.label} | {', '.join(str(c['seed']) for c in group)} | {sizes.get('train', '?'):,} / "
            f"{sizes.get('test', '?'):,} | {', '.join(str(c['epochs_run']) for c in group)} | "
            f"{_mean_sd([c['float_accuracy'] for c in group])} | {_mean_sd([c['firmware_accuracy'] for c in group])} "
            f"| {aucs} | {rej} | {min(_value(c, 'bit_exact') for c in group):.4f} | {hw} ({', '.join(method)}) | "
            f"{statistics.mean(_value(c, 'latency_ns') or 0 for c in group):.0f} / "
            f"{max(_value(c, 'ii_cycles') or 0 for c in group):.0f} | {budget} |")
    return "\n".join(lines)


def plot(cells: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for entry in ENTRIES:
        group = [c for c in cells if c["family"] == entry.name and _value(c, "lut")]
        if group:
            method = group[0]["lut"].get("method", "?")
            ax.scatter([_value(c, "lut") for c in group], [c["firmware_accuracy"] for c in group],
                       label=f"{entry.label} (LUT: {method})")
    ax.set_xscale("log")
    ax.set_xlabel("LUT (method in the legend; no vendor tool)")
    ax.set_ylabel("firmware accuracy (C simulation, test jets)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    run = sub.add_parser("run")
    run.add_argument("--jets", type=int, default=100_000, help="total jets (a fifth per class) from the shard cache")
    run.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    run.add_argument("--only", nargs="*", choices=[e.name for e in ENTRIES], help="families, in this order")
    run.add_argument("--runs", type=Path, default=Path("runs/families_converged"))
    run.add_argument("--firmware", type=Path, default=Path("firmware/families_converged"))
    run.add_argument("--results", type=Path, default=RESULTS)
    tab = sub.add_parser("table")
    tab.add_argument("--results", type=Path, default=RESULTS)
    tab.add_argument("--plot", type=Path, default=None)
    args = ap.parse_args()
    if args.mode == "run":
        run_cells(args)
        return
    cells = [json.loads(p.read_text()) for p in sorted(args.results.glob("*.json"))]
    print(table(cells))
    if args.plot:
        plot(cells, args.plot)


if __name__ == "__main__":
    main()
