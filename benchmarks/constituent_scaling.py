"""Constituent standardisation, measured: the same graph/set model trained on raw and on standardised constituents.

Same recipe, split, seed, initialisation and epochs; the only difference is the input scaling. "raw" undoes the
standardisation that ``training.inputs.prepare`` now applies (``Standardizer.invert``), which gives back the
constituents exactly as stored (log_pt ~0-7, angles within +-0.8; padding zero). Prints a Markdown table.

    python benchmarks/constituent_scaling.py --data data/jets1k --family interaction_net --epochs 20
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path
from edgenn.architectures.registry import family_params

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]


def recipe_for(family: str, data: Path, epochs: int):
    import yaml

    from edgenn.config.load import validate
    from edgenn.config.recipe import Recipe

    raw = yaml.safe_load((ROOT / "models" / f"{family}.yml").read_text())
    raw["data"]["path"] = str(data)
    raw["train"]["epochs"] = epochs
    return validate(Recipe, raw, source=f"models/{family}.yml (benchmark copy)")


def unscaled(data):
    """``data`` with the constituent standardisation undone (the raw stored values, padding still zero)."""
    s = data.standardizer
    return dataclasses.replace(data, standardizer=None, **{
        split: dataclasses.replace(getattr(data, split), x=s.invert(getattr(data, split).x))
        for split in ("train", "val", "test")})


def train_once(recipe, data, label: str) -> dict:
    from edgenn.architectures.registry import get_family
    from edgenn.seeding import seed_everything, stage_seed
    from edgenn.training.fit import fit, predict
    from edgenn.training.metrics import classifier_metrics

    seed_everything(stage_seed(recipe.seed, "train"))
    model = get_family(recipe.model.family).build(family_params(recipe), data.train.x.shape[1:],
                                                  len(data.class_names), None)
    t0 = time.perf_counter()
    result = fit(model, data, recipe.train, progress=False, description=label)
    metrics = classifier_metrics(predict(model, data.test.x), data.test.y, data.class_names)
    return {"inputs": label, "accuracy": metrics["accuracy"], "auc": metrics["auc"],
            "epochs_run": result.epochs_run, "seconds": time.perf_counter() - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--family", default="interaction_net", choices=["interaction_net", "deepsets"])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--out", type=Path, default=Path("runs/constituent_scaling"))
    args = ap.parse_args()

    from edgenn.io import atomic_write_json
    from edgenn.training.stage import prepared_data

    recipe = recipe_for(args.family, args.data, args.epochs)
    data = prepared_data(recipe)
    rows = [train_once(recipe, unscaled(data), "raw"), train_once(recipe, data, "standardised")]
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.out / f"{args.family}.json", {"data": str(args.data), "family": args.family,
                                                         "split_sizes": {k: len(getattr(data, k).y) for k in
                                                                         ("train", "val", "test")},
                                                         "epochs": args.epochs, "rows": rows})
    print(f"{args.family} on {args.data} ({len(data.train.y)} train / {len(data.test.y)} test jets, "
          f"up to {args.epochs} epochs, float)\n")
    print("| constituent inputs | test accuracy | " + " | ".join(f"AUC {c}" for c in data.class_names)
          + " | epochs | train s |")
    print("|---|---|" + "---|" * len(data.class_names) + "---|---|")
    for r in rows:
        print(f"| {r['inputs']} | {r['accuracy']:.4f} | " + " | ".join(f"{r['auc'][c]:.3f}" for c in data.class_names)
              + f" | {r['epochs_run']} | {r['seconds']:.0f} |")


if __name__ == "__main__":
    main()
