"""Why the constituent models do not beat the 16-feature MLP on edgenn's jets (issue 16, item 4): every model on one
split of the same jets, ended by early stopping, each paired with the MLP on the same test jets.

    nice -n 15 python benchmarks/constituent_gap.py run --jets 30000               # resumable: one file per cell
    nice -n 15 python benchmarks/constituent_gap.py run --jets 30000 --only deepsets_n32
    python benchmarks/constituent_gap.py table                                       # Markdown tables

Data: the first ``--jets`` / 5 cached jets per class of the default ``hls4ml`` definition (MPI on, seed 1), taken
from the shard cache as ``families_converged.py`` takes them (nothing is generated). Split: the shipped recipes'
(seed 42, val 0.15, test 0.35), identical for every cell (the cell records a hash of its test rows). Training: the
float model of each shipped recipe (models/jet_mlp.yml, deepsets.yml, jedi_linear.yml) with its batch size,
learning rate and early-stopping patience, under a 300-epoch ceiling; no compression.

Cells:
- ``mlp_hlf``: the dense MLP on the 16 high-level features as stored (computed from all of a jet's particles);
- ``mlp_lead<N>``: the same MLP on the 16 features recomputed from the N leading stored constituents only, the jet
  being their sum (``edgenn.datasets.leading_constituents``): the information a constituent model of N particles has;
- ``<family>_n<N>[_f<K>]``: Deep Sets / jedi_linear on the N leading constituents with the recipe's 5 features
  (rel_pt, deta, dphi, log_pt, delta_r), or K = 3 (log_pt, deta, dphi: the literature's pT, eta_rel, phi_rel) or
  K = 7 (every stored column: + log_e, rel_e).

Paired figures: on the same test jets, the difference of the per-jet correctness of a cell and of ``mlp_hlf``; its
standard error is that of a mean of per-jet differences (test-sample noise only; a retraining moves a cell by a few
tenths of a point more).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "constituent_gap"
RUNS = Path("runs/constituent_gap")
EPOCH_CEILING = 300
FEATURE_SETS = {
    3: ["log_pt", "deta", "dphi"],
    5: ["rel_pt", "deta", "dphi", "log_pt", "delta_r"],
    7: ["rel_pt", "deta", "dphi", "log_pt", "log_e", "rel_e", "delta_r"],
}


@dataclass(frozen=True)
class Cell:
    name: str
    recipe: str  # models/<recipe>.yml
    lead: int | None = None  # mlp: features recomputed from this many leading constituents (None: as stored)
    num: int | None = None  # constituent models: leading particles
    features: int = 5


def _cells() -> tuple[Cell, ...]:
    cells = [Cell("mlp_hlf", "jet_mlp")]
    cells += [Cell(f"mlp_lead{n}", "jet_mlp", lead=n) for n in (8, 16, 32, 50)]
    cells += [Cell(f"deepsets_n{n}", "deepsets", num=n) for n in (8, 16, 32, 50)]
    cells += [Cell(f"deepsets_n16_f{k}", "deepsets", num=16, features=k) for k in (3, 7)]
    cells += [Cell(f"deepsets_n{n}_f7", "deepsets", num=n, features=7) for n in (32, 50)]
    cells += [Cell(f"jedi_linear_n{n}", "jedi_linear", num=n) for n in (16, 32)]
    cells += [Cell("jedi_linear_n32_f7", "jedi_linear", num=32, features=7)]
    return tuple(cells)


CELLS = _cells()


def dataset_for(cell: Cell, base: Path) -> Path:
    """The cell's dataset directory: the cached jets, or a copy whose features come from the leading constituents."""
    if cell.lead is None:
        return base
    out = base.parent / f"data_lead{cell.lead}"
    if not (out / "jets.h5").is_file():
        from edgenn.datasets import load_jets, save_jets
        from edgenn.datasets.leading_constituents import with_leading_features

        t0 = time.perf_counter()
        data = with_leading_features(load_jets(base / "jets.h5"), cell.lead)
        out.mkdir(parents=True, exist_ok=True)
        save_jets(out / "jets.h5", data)
        print(f"features from the {cell.lead} leading constituents: {time.perf_counter() - t0:.0f} s", flush=True)
    return out


def recipe_for(cell: Cell, data: Path):  # noqa: ANN201 - edgenn Recipe
    import yaml

    from edgenn.config.load import validate
    from edgenn.config.recipe import Recipe

    raw = yaml.safe_load((ROOT / "models" / f"{cell.recipe}.yml").read_text())
    raw = {k: v for k, v in raw.items() if k in ("name", "seed", "data", "model", "train")}
    raw["data"].update(path=str(data), val_fraction=0.15, test_fraction=0.35)
    if cell.num is not None:
        raw["data"].update(num_constituents=cell.num, constituent_features=FEATURE_SETS[cell.features])
    raw["train"]["epochs"] = EPOCH_CEILING
    return validate(Recipe, raw, source=f"models/{cell.recipe}.yml ({cell.name})")


def run_cell(cell: Cell, base: Path) -> dict:
    import numpy as np

    from edgenn.architectures.registry import family_params, get_family
    from edgenn.seeding import seed_everything, stage_seed
    from edgenn.training.fit import fit, predict
    from edgenn.training.metrics import classifier_metrics
    from edgenn.training.stage import prepared_data

    recipe = recipe_for(cell, dataset_for(cell, base))
    data = prepared_data(recipe)
    seed_everything(stage_seed(recipe.seed, "train"))
    model = get_family(recipe.model.family).build(family_params(recipe), data.train.x.shape[1:],
                                                  len(data.class_names), None)
    t0 = time.perf_counter()
    result = fit(model, data, recipe.train, progress=False, description=cell.name)
    probs = predict(model, data.test.x)
    metrics = classifier_metrics(probs, data.test.y, data.class_names)
    test_rows = np.asarray(data.split.test, dtype=np.int64)
    return {
        "cell": cell.name, "family": recipe.model.family, "recipe": f"models/{cell.recipe}.yml",
        "inputs": list(data.feature_names), "num_constituents": cell.num, "features_from_leading": cell.lead,
        "split_sizes": {k: len(getattr(data, k).y) for k in ("train", "val", "test")},
        "test_rows_sha256": hashlib.sha256(test_rows.tobytes()).hexdigest(),
        "accuracy": metrics["accuracy"], "auc": metrics["auc"], "epochs_run": result.epochs_run,
        "epoch_ceiling": EPOCH_CEILING, "train_s": round(time.perf_counter() - t0, 1),
        "test_labels": "".join(str(int(v)) for v in data.test.y),
        "test_predictions": "".join(str(int(v)) for v in probs.argmax(axis=1)),
    }


def run(args: argparse.Namespace) -> None:
    from families_converged import cached_data

    from edgenn.io import atomic_write_json

    base = cached_data(args.jets, args.runs / "data")
    wanted = args.only or [c.name for c in CELLS]
    unknown = sorted(set(wanted) - {c.name for c in CELLS})
    if unknown:
        raise SystemExit(f"unknown cell(s) {unknown}; the cells are {', '.join(c.name for c in CELLS)}.")
    for cell in (c for c in CELLS if c.name in wanted):
        path = args.results / f"jets{args.jets}" / f"{cell.name}.json"
        if path.is_file():
            continue
        row = run_cell(cell, base)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, row)
        print(f"{cell.name}: accuracy {row['accuracy']:.4f}, {row['epochs_run']} epochs, {row['train_s']:.0f} s",
              flush=True)


def paired(row: dict, ref: dict) -> tuple[float, float]:
    """(mean, standard error) of the per-jet correctness difference row - ref on the same test jets."""
    import numpy as np

    if row["test_rows_sha256"] != ref["test_rows_sha256"]:
        raise SystemExit(f"{row['cell']} and {ref['cell']} were tested on different jets; rerun one of them.")
    y = np.frombuffer(row["test_labels"].encode(), np.uint8)
    d = ((np.frombuffer(row["test_predictions"].encode(), np.uint8) == y).astype(float)
         - (np.frombuffer(ref["test_predictions"].encode(), np.uint8) == y))
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


def table(args: argparse.Namespace) -> None:
    rows = {c.name: json.loads(p.read_text()) for c in CELLS
            if (p := args.results / f"jets{args.jets}" / f"{c.name}.json").is_file()}
    if args.ref not in rows:
        raise SystemExit(f"no {args.ref} cell yet: run `constituent_gap.py run --only {args.ref}` first.")
    ref = rows[args.ref]
    sizes = ref["split_sizes"]
    print(f"{sizes['train']:,} train / {sizes['val']:,} val / {sizes['test']:,} test jets; paired against "
          f"{args.ref} ({ref['accuracy']:.4f}) on the same test jets\n")
    print(f"| cell | inputs | accuracy | Δ vs {args.ref} (paired, ± s.e.) | AUC q / g / W / Z / t | epochs | train s |")
    print("|---|---|---:|---:|---|---:|---:|")
    for cell in CELLS:
        if cell.name not in rows:
            continue
        r = rows[cell.name]
        if cell.num is None:
            what = "16 HLF, all particles" if cell.lead is None else f"16 HLF from the {cell.lead} leading particles"
        else:
            what = f"{cell.num} particles x {cell.features}"
        delta = "–" if r is ref else "{:+.2f} ± {:.2f}".format(*(100 * v for v in paired(r, ref)))
        aucs = " / ".join(f"{r['auc'][c]:.3f}" for c in ("q", "g", "W", "Z", "t"))
        print(f"| {cell.name} | {what} | {r['accuracy']:.4f} | {delta} | {aucs} | {r['epochs_run']} | "
              f"{r['train_s']:.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["run", "table"])
    ap.add_argument("--jets", type=int, default=30000, help="jets in all, 1/5 per class, from the shard cache")
    ap.add_argument("--only", nargs="+", help="cells to run (default: all, in the listed order)")
    ap.add_argument("--runs", type=Path, default=RUNS)
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--ref", default="mlp_hlf", help="table: the cell every other cell is paired with")
    args = ap.parse_args()
    (run if args.command == "run" else table)(args)


if __name__ == "__main__":
    main()
