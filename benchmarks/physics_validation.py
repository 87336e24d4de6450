"""Physics validation: edgenn's default jets against the public hls4ml jet dataset's published baseline.

Generates (or takes from the shard cache) ``--jets-per-class`` jets with the default ``hls4ml`` definition, trains the
public baseline (16-64-32-32-5 dense, ReLU, L1 1e-4 on the 16 hls4ml features, the fastml-science jet-classify split:
20 % test, 20 % validation), and prints accuracy and per-class one-vs-rest AUCs beside the published figures.
Generation is resumable: shards land in the shard cache as they finish, so an interrupted run picks up where it
stopped, and ``--use-cached`` trains on the largest balanced prefix already cached without generating anything.

    nice -n 10 python benchmarks/physics_validation.py --jets-per-class 100000 --workers 2   # >= 500k jets
    python benchmarks/physics_validation.py --use-cached                                    # whatever is there

The last line printed is the result as JSON.

``--events DIR`` runs the trigger-event half instead, on an ``edgenn data generate events`` dataset (default stream
adc2021): it trains the AE (models/ae.yml) and VAE (models/vae.yml) teachers on it (resumable: a finished run is
reused) and prints per signal the background-weighted AUC and the efficiency at FPR 1e-5 with its statistical
uncertainty (binomial on the signal count, and a bootstrap over the background events for where the threshold falls),
beside the background test count, its effective number (sum w)^2 / sum w^2, and how many background events set the
threshold (``edgenn.training.weighted_trigger_metrics``).

    edgenn data generate events --out data/events_pv --fast --events wlnu=6000 --events zll=2500 ...
    nice -n 15 python benchmarks/physics_validation.py --events data/events_pv --run runs/physics_validation_events
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

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


def event_recipe(name: str, data_dir: Path):  # noqa: ANN201 - edgenn Recipe
    """models/<name>.yml's model and training on ``data_dir``, without its compress and export sections."""
    from edgenn.config.load import read_yaml, validate
    from edgenn.config.recipe import Recipe

    raw = read_yaml(RECIPE.parent / f"{name}.yml")
    raw = {k: v for k, v in raw.items() if k in ("name", "seed", "data", "model", "train", "anomaly")}
    raw["data"] = {**raw["data"], "path": str(data_dir)}
    return validate(Recipe, raw, source=f"physics_validation {name}")


def events_main(data_dir: Path, run: Path, fpr: float = 1e-5) -> dict:
    import edgenn
    from edgenn.datasets.event_data import load_events
    from edgenn.training.anomaly_scores import load_anomaly_scores
    from edgenn.training.weighted_trigger_metrics import weighted_trigger_metrics

    data = load_events(data_dir / "events.h5")
    sigma = data.accepted_cross_sections_pb()
    manifest = json.loads((data_dir / "manifest.json").read_text())
    results = {}
    for name, label in (("ae", "AE teacher (recon. MSE)"), ("vae", "VAE teacher (sum mu^2)")):
        out = run / name / "train"
        if not (out / "manifest.json").is_file():
            edgenn.train(event_recipe(name, data_dir), out=out, report=False)
        s = load_anomaly_scores(out / "scores.npz")
        results[name] = {"label": label, **weighted_trigger_metrics(
            s.scores, s.process, s.background, s.process_names, s.signals, sigma, fpr=fpr)}
        # Where the weighted QCD events fall: a heavy event near the top would set the threshold by itself.
        qcd = s.background & np.isin(s.process, [i for i, p in enumerate(s.process_names) if p.startswith("qcd")])
        bkg_scores = np.sort(s.scores[s.background])
        results[name]["qcd_test_events"] = [
            {"score_quantile": float(np.searchsorted(bkg_scores, v) / bkg_scores.size)} for v in s.scores[qcd]]
    first = next(iter(results.values()))
    bkg = manifest["background"]
    print(f"dataset {data_dir}: " + ", ".join(f"{p} {n:,}" for p, n in manifest["counts"].items()))
    print("background composition (% of accepted sigma): " + ", ".join(
        f"{g} {v:.2f}" + (f" (< {bkg['composition_upper_percent'][g]:.2f} at 95 % CL)"
                          if g in bkg.get("composition_upper_percent", {}) else "")
        for g, v in bkg["composition_percent"].items()) + "; ADC2021: " + ", ".join(
        f"{g} {v}" for g, v in bkg["adc2021_composition_percent"].items()))
    print(f"background test events {first['num_background']:,}, effective {first['effective_background']:,}; "
          f"FPR {fpr:g} resolved: {first['fpr_resolved']} (smallest resolvable {first['min_resolvable_fpr']:.2g}); "
          f"largest single-event weight share {first['largest_weight_fraction']:.3g}; "
          "efficiencies: value ± total (signal count, threshold bootstrap)")
    for r in results.values():
        print(f"{r['label']}: QCD test events at background score quantiles "
              + (", ".join(f"{q['score_quantile']:.3f}" for q in r["qcd_test_events"]) or "none"))
    signals = list(first["signals"])
    print("| model | " + " | ".join(f"AUC {x}" for x in signals) + " | "
          + " | ".join(f"eff {x} @ {fpr:g}" for x in signals) + " | bkg events above threshold |")
    print("|---|" + "---:|" * (2 * len(signals) + 1))
    for r in results.values():
        sig = r["signals"]
        print(f"| {r['label']} | " + " | ".join(f"{sig[x]['auc']:.3f}" for x in signals) + " | " + " | ".join(
            f"{sig[x]['efficiency']:.4f} ± {sig[x]['err_total']:.4f} ({sig[x]['err_signal']:.4f}, "
            f"{sig[x]['err_threshold']:.4f})" for x in signals) + f" | {r['background_above_threshold']} |")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=Path, default=None, help="run the trigger-event half on this dataset")
    parser.add_argument("--fpr", type=float, default=1e-5, help="events: background acceptance of the threshold")
    parser.add_argument("--jets-per-class", type=int, default=100_000)
    parser.add_argument("--use-cached", action="store_true", help="train on the cached prefix, generate nothing")
    parser.add_argument("--definition", default="hls4ml")
    parser.add_argument("--fast", action="store_true", help="MPI off (not the published recipe)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--data", type=Path, default=Path("data/physics_validation"))
    parser.add_argument("--run", type=Path, default=Path("runs/physics_validation"))
    args = parser.parse_args()
    if args.events is not None:
        print(json.dumps(events_main(args.events, args.run, args.fpr)))
        return

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
