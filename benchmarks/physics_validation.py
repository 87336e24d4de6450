"""Physics validation: edgenn's default jets against the public hls4ml jet dataset's published baseline.

Generates (or takes from the shard cache) ``--jets-per-class`` jets with the default ``hls4ml`` definition, trains the
public baseline (16-64-32-32-5 dense, ReLU, L1 1e-4 on the 16 hls4ml features, the fastml-science jet-classify split:
20 % test, 20 % validation), and prints accuracy and per-class one-vs-rest AUCs beside the published figures.
Generation is resumable: shards land in the shard cache as they finish, so an interrupted run picks up where it
stopped, and ``--use-cached`` trains on the largest balanced prefix already cached without generating anything.

    nice -n 10 python benchmarks/physics_validation.py --jets-per-class 100000 --workers 2   # >= 500k jets
    python benchmarks/physics_validation.py --use-cached                                    # whatever is there

The last line printed is the result as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# fastml-science jet-classify float baseline (accuracy 0.766); the hls4ml tutorial gets 0.764 / 93.9 90.3 96.3 95.4 94.9.
PUBLISHED = {"source": "fastml-science jet-classify float baseline (16-64-32-32-5, L1 1e-4)",
             "accuracy": 0.766, "auc": {"g": 0.942, "q": 0.905, "t": 0.964, "W": 0.955, "Z": 0.950}}
RECIPE = Path(__file__).resolve().parents[1] / "models" / "jet_mlp_bench.yml"


def cached_jets_per_class(config) -> int:  # noqa: ANN001 - JetGenConfig
    """Jets of the contiguous cached shard prefix of the poorest class: what --use-cached can train on."""
    from edgenn.datasets.cache import ShardCache, default_cache_dir
    from edgenn.datasets.generate import shard_cache_key, shard_spec
    from edgenn.datasets.jets_pythia import library_versions

    cache, versions, counts = ShardCache(default_cache_dir("jets")), library_versions(), []
    for cls in config.classes:
        total, index = 0, 0
        while (entry := cache.get(shard_cache_key(shard_spec(config, cls, index), versions))) is not None:
            total += entry[0]["features"].shape[0]
            index += 1
        counts.append(total)
    return min(counts)


def baseline_recipe(data_dir: Path, name: str):  # noqa: ANN201 - edgenn Recipe
    """models/jet_mlp_bench.yml's float model and training, with the published split fractions and no compression."""
    from edgenn.config.load import read_yaml, validate
    from edgenn.config.recipe import Recipe

    raw = read_yaml(RECIPE)
    raw = {k: v for k, v in raw.items() if k in ("seed", "data", "model", "train")}
    raw["name"] = name
    raw["data"] = {**raw["data"], "path": str(data_dir), "val_fraction": 0.2, "test_fraction": 0.2}
    return validate(Recipe, raw, source="physics_validation baseline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jets-per-class", type=int, default=100_000)
    parser.add_argument("--use-cached", action="store_true", help="train on the cached prefix, generate nothing")
    parser.add_argument("--definition", default="hls4ml")
    parser.add_argument("--fast", action="store_true", help="MPI off (not the published recipe)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--data", type=Path, default=Path("data/physics_validation"))
    parser.add_argument("--run", type=Path, default=Path("runs/physics_validation"))
    args = parser.parse_args()

    import edgenn
    from edgenn.datasets import JetGenConfig, generate_jets

    fields = {"seed": 1, "definition": args.definition, "fast": args.fast}
    if args.workers:
        fields["workers"] = args.workers
    n = args.jets_per_class
    if args.use_cached:
        n = cached_jets_per_class(JetGenConfig(**fields))
        if n < 100:
            raise SystemExit(f"only {n} cached jets per class; generate first (without --use-cached).")
    config = JetGenConfig(jets_per_class=n, **fields)
    path = generate_jets(config, args.data, progress=True)
    result = edgenn.train(baseline_recipe(args.data, "physics_validation"), out=args.run / "train", report=False)
    metrics = json.loads((result.directory / "metrics.json").read_text())
    test = metrics.get("test", metrics)
    auc = test["auc"]
    print(f"jets: {5 * n} ({n} per class, definition {args.definition}, MPI {'off' if args.fast else 'on'}); "
          f"data {path}")
    print("| | accuracy | AUC g | AUC q | AUC t | AUC W | AUC Z |")
    print("|---|---|---|---|---|---|---|")
    order = ("g", "q", "t", "W", "Z")
    print(f"| edgenn ({5 * n} jets) | {test['accuracy']:.3f} | "
          + " | ".join(f"{100 * auc[c]:.1f}" for c in order) + " |")
    print(f"| published | {PUBLISHED['accuracy']:.3f} | "
          + " | ".join(f"{100 * PUBLISHED['auc'][c]:.1f}" for c in order) + " |")
    print(json.dumps({"jets_per_class": n, "definition": args.definition, "fast": args.fast,
                      "accuracy": test["accuracy"], "auc": auc, "published": PUBLISHED}))


if __name__ == "__main__":
    main()
