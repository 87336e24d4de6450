"""The model-family table (issue 3): one row per family, each from a recipe in models/ run through the CLI.

    python benchmarks/families.py run [--only NAME ...]   # train -> compress -> export fpga -> check, per family
    python benchmarks/families.py table                   # read the runs, print the Markdown table

Data: a seeded, class-balanced subset of data/jets20k (``--jets-per-class``, default 4200 of 20000) written to
runs/families/data/jets.h5, split val 0.10 / test just enough for >= 10,000 test jets (0.48 at 4200 per class), so
every model is validated bit-exactly on >= 10,000 jets while training stays affordable on a shared 2-core machine.
Epochs are capped (``--epochs``, ``--compress-epochs``; early stopping still applies). Each family's steps are the
CLI commands printed in the table's command list; a step whose output directory is complete is not rerun.

Figures: accuracy and per-class AUC of the firmware C simulation on the test jets (method csim); parameters
(non-zero / all kernel+bias weights of the compressed model), BOPs (arXiv:2103.05579 Eq. 1, recomputed from the
compressed model), weight sparsity of the prunable layers and the weight bit widths; bit-exact fraction of logits
(csim vs QKeras); latency/II and LUT/FF/DSP with the method that produced them (``analytic``: edgenn's estimator, not
synthesis); export time = hls4ml conversion + g++ compile + C simulation.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
RUNS = Path("runs/families")
FIRMWARE = Path("firmware/families")
EDGENN = str(Path(sys.executable).parent / "edgenn")
STEPS = ("train", "compress", "export", "check")


@dataclass(frozen=True)
class Entry:
    name: str
    label: str
    recipe: str
    budget: str
    data: dict = field(default_factory=dict)
    export_flags: tuple[str, ...] = ()


ENTRIES = (
    Entry("jet_mlp", "dense MLP (16 HLF)", "jet_mlp", "jet_mlp"),
    Entry("deepsets", "Deep Sets (16 x 5)", "deepsets", "deepsets"),
    Entry("interaction_net_16", "interaction net (16 x 5)", "interaction_net", "interaction_net"),
    Entry("jet_cnn_16_parallel", "CNN 16x16, io_parallel", "jet_cnn", "jet_cnn",
          {"image_size": 16}, ("--io-type", "io_parallel")),
    Entry("jet_cnn_32_stream", "CNN 32x32, io_stream (not a trigger model)", "jet_cnn_stream", "jet_cnn_stream"),
    Entry("interaction_net_32", "interaction net (32 x 5)", "interaction_net", "interaction_net",
          {"num_constituents": 32}),
    Entry("garnet", "GarNet (16 x 5)", "garnet", "garnet"),
    Entry("jedi_linear", "JEDI-linear (16 x 5), DA", "jedi_linear", "jedi_linear"),
    # 32 particles: the HLF MLP's lead is mostly the particles a 16-particle model never sees (BENCHMARKS.md, "Why
    # the constituent models do not beat the HLF MLP here"); Deep Sets gains 4.6 points from 16 to 32 at 15k jets.
    Entry("jedi_linear_32", "JEDI-linear (32 x 5), DA", "jedi_linear", "jedi_linear_32", {"num_constituents": 32}),
)
CONVERGED_EPOCHS = 300  # a ceiling early stopping is meant to stay under (a run that reaches it is flagged)


def make_subset(source: Path, out: Path, per_class: int, seed: int) -> Path:
    import numpy as np

    from edgenn.datasets import load_jets
    from edgenn.datasets.jet_data import save_jets

    target = out / "jets.h5"
    if target.is_file():
        return out
    data = load_jets(source / "jets.h5")
    rng = np.random.default_rng(seed)
    idx = np.sort(np.concatenate([rng.choice(np.flatnonzero(data.labels == k), per_class, replace=False)
                                  for k in range(len(data.class_names))]))
    out.mkdir(parents=True, exist_ok=True)
    save_jets(target, data.subset(idx))
    return out


def test_fraction(data_dir: Path) -> float:
    """The smallest test fraction (in hundredths) that leaves >= 10,000 test jets for the bit-exact check."""
    import math

    import h5py

    with h5py.File(data_dir / "jets.h5") as h5:
        num_jets = len(h5["labels"])
    fraction = math.ceil(10050 / num_jets * 100) / 100
    if fraction >= 0.5:
        raise SystemExit(f"{num_jets} jets are too few for a 10,000-jet test split; use more --jets-per-class.")
    return max(fraction, 0.2)


def write_recipe(entry: Entry, data_dir: Path, epochs: int | None, compress_epochs: int | None, *,
                 runs: Path = RUNS, name: str | None = None, seed: int | None = None) -> Path:
    """The entry's recipe on ``data_dir``; ``epochs``/``compress_epochs`` cap the recipe's (None: replace the float
    training's cap by a ceiling of 300 epochs, so early stopping alone ends it, and keep the compress schedule)."""
    import yaml

    raw = yaml.safe_load((ROOT / "models" / f"{entry.recipe}.yml").read_text())
    raw["name"] = name or entry.name
    if seed is not None:
        raw["seed"] = seed  # the root seed also draws the split: one seed, one split, for every family
    raw["data"].update(path=str(data_dir), val_fraction=0.10, test_fraction=test_fraction(data_dir), **entry.data)
    raw["train"]["epochs"] = min(raw["train"]["epochs"], epochs) if epochs else CONVERGED_EPOCHS
    if compress_epochs:
        raw["compress"]["epochs"] = min(raw["compress"]["epochs"], compress_epochs)
    raw["export"]["validation_samples"] = 10000
    path = runs / "recipes" / f"{name or entry.name}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def commands(entry: Entry, recipe: Path, *, runs: Path = RUNS, firmware: Path = FIRMWARE,
             name: str | None = None) -> list[tuple[str, Path, list[str]]]:
    run, fw = runs / (name or entry.name), firmware / (name or entry.name)
    return [
        ("train", run / "train", ["train", str(recipe), "--out", str(run / "train"), "--no-report"]),
        ("compress", run / "compress", ["compress", str(run), "--out", str(run / "compress"), "--no-report"]),
        ("export", fw / "fpga", ["export", str(run), "--target", "fpga", "--out", str(fw / "fpga"), "--no-report",
                                 *entry.export_flags]),
        ("check", None, ["check", str(fw / "fpga"), "--budget", f"firmware/budgets/{entry.budget}.yml"]),
    ]


def run_entry(entry: Entry, data_dir: Path, epochs: int | None, compress_epochs: int | None, *, runs: Path = RUNS,
              firmware: Path = FIRMWARE, name: str | None = None, seed: int | None = None) -> bool:
    """Train -> compress -> export -> check through the CLI, skipping steps whose output is complete; False when a
    step failed (exit other than 0 or 1, 1 being a budget not met: still a measured row)."""
    from edgenn.io import atomic_write_json, is_complete

    recipe = write_recipe(entry, data_dir, epochs, compress_epochs, runs=runs, name=name, seed=seed)
    log_path = runs / (name or entry.name) / "steps.json"
    log = json.loads(log_path.read_text()) if log_path.is_file() else {}
    for step, out, args in commands(entry, recipe, runs=runs, firmware=firmware, name=name):
        if out is not None and is_complete(out):
            continue
        before, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        proc = subprocess.run([EDGENN, "--no-progress", *args], capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        log[step] = {"command": "edgenn " + " ".join(args), "exit_code": proc.returncode,
                     "wall_s": time.perf_counter() - t0,
                     "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
                     "output_tail": (proc.stdout + proc.stderr)[-2000:]}
        log_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(log_path, log)
        print(f"{name or entry.name}: {step} exit {proc.returncode} in {log[step]['wall_s']:.0f} s "
              f"(CPU {log[step]['cpu_s']:.0f} s)", flush=True)
        if proc.returncode not in (0, 1):
            print(log[step]["output_tail"], flush=True)
            return False
    return True


def model_figures(run_dir: Path) -> dict:
    from edgenn.artifacts import ModelArtifact
    from edgenn.compression.bops import bops_summary
    from edgenn.compression.layers import layer_bits, overall_sparsity, weight_counts

    model = ModelArtifact.load(run_dir / "compress").load_model()
    total, nonzero = weight_counts(model)
    bits = layer_bits(model)
    return {"params": total, "params_nonzero": nonzero, "bops": bops_summary(model)["total"],
            "sparsity": overall_sparsity(model),
            "weight_bits": sorted({b["weight"] for b in bits.values()}),
            "input_bits": sorted({b["input_activation"] for b in bits.values()})}


def _fig(figs: dict, key: str, fmt: str = "{:.0f}") -> str:
    f = figs.get(key)
    return "n/a" if f is None else fmt.format(f["value"])


def table_rows() -> tuple[list[str], list[str]]:
    rows, cmds = [], []
    header = ("| family | accuracy (csim) | AUC q / g / W / Z / t (csim) | params (non-zero / all) | BOPs | "
              "sparsity, weight bits | bit-exact (csim) | latency / II cycles | LUT / FF / DSP | export s | budget |")
    rows += [header, "|" + "---|" * (header.count("|") - 1)]
    for entry in ENTRIES:
        report_path = FIRMWARE / entry.name / "fpga" / "report.json"
        if not report_path.is_file():
            continue
        report = json.loads(report_path.read_text())
        figs, m = report["figures"], model_figures(RUNS / entry.name)
        steps = json.loads((RUNS / entry.name / "steps.json").read_text())
        aucs = " / ".join(_fig(figs, f"auc.{c}", "{:.3f}") for c in ("q", "g", "W", "Z", "t"))
        methods = sorted({figs[k]["method"] for k in ("latency_cycles", "lut") if k in figs})
        export_s = sum(report["timings_s"].values())
        budget = steps.get("check", {}).get("exit_code")
        bx = figs["bit_exact_fraction"]
        rows.append(
            f"| {entry.label} | {_fig(figs, 'accuracy', '{:.4f}')} (float {_fig(figs, 'accuracy_float', '{:.4f}')}) "
            f"| {aucs} | {m['params_nonzero']:,} / "
            f"{m['params']:,} | {m['bops']:.3g} | {m['sparsity']:.2f}, {'/'.join(map(str, m['weight_bits']))} | "
            f"{bx['value']:.4f} ({bx['note']}) | {_fig(figs, 'latency_cycles')} / {_fig(figs, 'ii_cycles')} "
            f"| {_fig(figs, 'lut')} / {_fig(figs, 'ff')} / {_fig(figs, 'dsp')} ({', '.join(methods)}) | "
            f"{export_s:.0f} | {'pass' if budget == 0 else 'FAIL' if budget == 1 else 'n/a'} |")
        cmds.append(f"- {entry.label}: " + " && ".join(f"`{steps[k]['command']}`" for k in STEPS if k in steps))
    return rows, cmds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    run = sub.add_parser("run")
    run.add_argument("--source", type=Path, default=Path("data/jets20k"))
    run.add_argument("--jets-per-class", type=int, default=4200)
    run.add_argument("--epochs", type=int, default=12)
    run.add_argument("--compress-epochs", type=int, default=6)
    run.add_argument("--only", nargs="*", choices=[e.name for e in ENTRIES])
    table = sub.add_parser("table")
    table.add_argument("--write", type=Path, help="also write the Markdown page here (e.g. docs/family_benchmarks.md)")
    args = ap.parse_args()
    if args.mode == "run":
        data_dir = make_subset(args.source, RUNS / "data", args.jets_per_class, seed=1)
        (RUNS / "data_info.json").write_text(json.dumps({"description": (
            f"{args.jets_per_class} jets per class drawn (seed 1) from {args.source} (edgenn's Pythia jets, 5 classes), "
            f"val 0.10, test {test_fraction(data_dir):.2f}; training capped at {args.epochs} epochs, compression at "
            f"{args.compress_epochs} (early stopping on).")}))
        for entry in ENTRIES:
            if not args.only or entry.name in args.only:
                run_entry(entry, data_dir, args.epochs, args.compress_epochs)
        return
    rows, cmds = table_rows()
    text = "\n".join([*rows, "", "Commands (recipes written to runs/families/recipes/ by "
                      "`python benchmarks/families.py run`; table by `python benchmarks/families.py table`):", "",
                      *cmds])
    print(text)
    if args.write:
        from edgenn.io import atomic_write_text

        atomic_write_text(args.write, page(text))


def page(table: str) -> str:
    """docs/family_benchmarks.md: the table with what it was measured on and how to read it."""
    data = json.loads((RUNS / "data_info.json").read_text()) if (RUNS / "data_info.json").is_file() else {}
    scaling = ROOT / "runs" / "constituent_scaling" / "interaction_net.json"
    lines = ["# Model families: measured figures", "",
             "Produced by `python benchmarks/families.py run` then `python benchmarks/families.py table --write "
             "docs/family_benchmarks.md` (docstring: data, splits, figure definitions) on a shared, loaded 2-core "
             "machine. " + (f"Data (a subset, for time): {data.get('description', '')}" if data else ""), "", table,
             "", CONTEXT]
    if scaling.is_file():
        s = json.loads(scaling.read_text())
        lines += ["", "## Constituent standardisation", "",
                  f"`python benchmarks/constituent_scaling.py --data {s['data']} --family {s['family']} --epochs "
                  f"{s['epochs']}` ({s['split_sizes']['train']} train / {s['split_sizes']['test']} test jets, float "
                  "model, same seed, split, initialisation and epochs):", "",
                  "| constituent inputs | test accuracy | mean AUC | epochs |", "|---|---|---|---|"]
        for r in s["rows"]:
            lines.append(f"| {r['inputs']} | {r['accuracy']:.4f} | "
                         f"{sum(r['auc'].values()) / len(r['auc']):.3f} | {r['epochs_run']} |")
    return "\n".join(lines) + "\n"


CONTEXT = """How to read it:
- Not converged: every float model stopped at the epoch cap (12) on 8,820 training jets, and compression ran 6 epochs;
  the dense MLP trained on all 100k jets reaches 0.689 in firmware (BENCHMARKS.md), here 0.567, and its budget fails on
  accuracy_drop (0.060 > 0.05) because 6 compression epochs do not recover the float accuracy. Rank the families by
  these rows only with that in mind.
- params: all kernel+bias weights of the deployed model; the interaction net's include its fixed 0/1 gather and
  aggregate matrices (11,520 entries at N = 16, 720 of them ones), hence "2/8" weight bits (2-bit 0/1 kernels).
- sparsity: zero fraction of the prunable kernels (Dense and Conv2D) after quantization.
- accuracy/AUC are the firmware's (hls4ml C simulation on the test jets, method csim); the C simulation equals the
  QKeras model on every logit where the bit-exact column says 1.0000.
- latency/II and LUT/FF/DSP are edgenn's analytic estimate (method `analytic`, no synthesis): a model of the hls4ml
  1.3 templates, scaled to Vitis HLS csynth on Dense layers (docs/estimates.md); conv and pointwise (per-particle,
  per-edge Dense) layers use the same kernel model over their positions and are uncalibrated. Layers the estimator
  does not model (Concatenate, Permute/Transpose, global pooling) count as zero: the graph rows are lower bounds.
- graph families: hls4ml turns each per-particle/per-edge Dense into a PointwiseConv1D whose default
  ParallelizationFactor 1 processes one particle (one edge) per cycle, so the II is N (Deep Sets) or N(N-1)
  (interaction network); edgenn does not set a larger ParallelizationFactor yet.
- Published context, not a target: JEDI-linear reports 80.85 % accuracy for 32 particles at 21 cycles and about
  62k LUT on an UltraScale+ part, on the public hls4ml jet dataset (different generation and selection than edgenn's
  Pythia jets); the rows here were not tuned to it, nor trained to convergence."""


if __name__ == "__main__":
    main()
