"""Physics validation: edgenn's default jets against the public hls4ml jet dataset's published baseline.

Generates (or takes from the shard cache) ``--jets-per-class`` jets with the default ``hls4ml`` definition, trains the
public baseline (16-64-32-32-5 dense, ReLU, L1 1e-4 on the 16 hls4ml features, the fastml-science jet-classify split:
20 % test, 20 % validation), and prints accuracy and per-class one-vs-rest AUCs beside the published figures.
Generation is resumable: shards land in the shard cache as they finish, so an interrupted run picks up where it
stopped, and ``--use-cached`` trains on the largest balanced prefix already cached without generating anything.

    nice -n 10 python benchmarks/physics_validation.py --jets-per-class 100000 --workers 2   # >= 500k jets
    python benchmarks/physics_validation.py --use-cached                                    # whatever is there
    python benchmarks/physics_validation.py --use-cached --curve 0.25 0.5                   # + a learning curve

Besides accuracy and AUCs it prints the confusion matrix of the test jets. ``--curve F ...`` also trains the same
model on the fraction F of the training jets (a class-balanced subset drawn with the recipe seed; same validation and
test jets, same standardiser, same seeds), so the gap to the published figures can be read against the training-set
size: if it shrinks with statistics, that is the measured explanation of what remains. ``--results DIR`` writes the
result as ``DIR/jets<N>.json`` (benchmarks/results/physics_validation by default). The last line printed is the
result as JSON.

``--events DIR`` runs the trigger-event half instead, on an ``edgenn data generate events`` dataset (default stream
adc2021): it trains the AE (models/ae.yml) and VAE (models/vae.yml) teachers on it (resumable: a finished run is
reused) and prints per signal the background-weighted AUC and the efficiency at FPR 1e-5 with its statistical
uncertainty (binomial on the signal count, and a bootstrap over the background events for where the threshold falls),
beside the background test count, its effective number (sum w)^2 / sum w^2, and how many background events set the
threshold (``edgenn.training.weighted_trigger_metrics``); then the AUCs and efficiencies again beside every ADC2021
baseline a public source pins (``edgenn.datasets.adc2021_baselines``), each with its source and setup.

    edgenn data generate events --out data/events_pv --fast --events wlnu=6000 --events zll=2500 ...
    nice -n 15 python benchmarks/physics_validation.py --events data/events_pv --run runs/physics_validation_events
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
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


def baseline_recipe(data_dir: Path, name: str, epochs: int | None = None, *, train: dict | None = None,
                    seed: int | None = None):  # noqa: ANN201 - edgenn Recipe
    """models/jet_mlp_bench.yml's float model and training, with the published split fractions and no compression;
    ``epochs`` replaces the recipe's epoch cap (early stopping still ends the training), ``train`` overrides
    further training fields and ``seed`` the recipe seed (split and initialisation)."""
    from edgenn.config.load import read_yaml, validate
    from edgenn.config.recipe import Recipe

    raw = read_yaml(RECIPE)
    raw = {k: v for k, v in raw.items() if k in ("seed", "data", "model", "train")}
    raw["name"] = name
    raw["data"] = {**raw["data"], "path": str(data_dir), "val_fraction": 0.2, "test_fraction": 0.2}
    if epochs:
        raw["train"] = {**raw["train"], "epochs": epochs}
    raw["train"] = {**raw["train"], **(train or {})}
    if seed is not None:
        raw["seed"] = seed
    return validate(Recipe, raw, source="physics_validation baseline")


def confusion(probs: np.ndarray, labels: np.ndarray, num_classes: int) -> list[list[float]]:
    """Row-normalised confusion matrix: row = true class, column = predicted class."""
    counts = np.zeros((num_classes, num_classes))
    np.add.at(counts, (labels, np.argmax(probs, axis=1)), 1)
    return (counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)).round(4).tolist()


def trained_test_figures(run_dir: Path) -> dict:
    """Accuracy, AUCs and confusion matrix of the trained baseline on its own test jets (the rows it was split on)."""
    from edgenn.artifacts import ModelArtifact
    from edgenn.training.fit import predict
    from edgenn.training.metrics import classifier_metrics
    from edgenn.training.stage import prepared_data

    artifact = ModelArtifact.load(run_dir)
    data = prepared_data(artifact.recipe, standardizer=artifact.standardizer(), split=artifact.split())
    probs = predict(artifact.load_model(), data.test.x)
    metrics = classifier_metrics(probs, data.test.y, data.class_names)
    return {"accuracy": metrics["accuracy"], "auc": metrics["auc"], "test_jets": int(len(data.test.y)),
            "train_jets": int(len(data.train.y)), "epochs_run": artifact.metrics.get("epochs_run"),
            "class_names": list(data.class_names),
            "confusion": confusion(probs, data.test.y, len(data.class_names))}


def learning_curve_point(recipe, fraction: float) -> dict:  # noqa: ANN001 - edgenn Recipe
    """The baseline trained on ``fraction`` of its training jets (class-balanced, drawn with the recipe seed), with
    the standardiser, validation and test jets of the full run, and evaluated on those test jets."""
    import dataclasses

    from edgenn.architectures.registry import family_params, get_family
    from edgenn.seeding import seed_everything, stage_seed
    from edgenn.training.fit import fit, predict
    from edgenn.training.inputs import Split
    from edgenn.training.metrics import classifier_metrics
    from edgenn.training.stage import prepared_data

    data = prepared_data(recipe)
    rng = np.random.default_rng(stage_seed(recipe.seed, "physics_validation.curve"))
    keep = np.sort(np.concatenate([rng.permutation(np.flatnonzero(data.train.y == k))[
        : int(round(fraction * np.sum(data.train.y == k)))] for k in range(len(data.class_names))]))
    sub = dataclasses.replace(data, train=Split(data.train.x[keep], data.train.y[keep]))
    seed_everything(stage_seed(recipe.seed, "train"))
    family = get_family(recipe.model.family)
    model = family.build(family_params(recipe), sub.train.x.shape[1:], len(sub.class_names), None)
    result = fit(model, sub, recipe.train, progress=False, description=f"curve {fraction:g}")
    probs = predict(model, sub.test.x)
    metrics = classifier_metrics(probs, sub.test.y, sub.class_names)
    return {"fraction": fraction, "train_jets": int(len(keep)), "test_jets": int(len(sub.test.y)),
            "accuracy": metrics["accuracy"], "auc": metrics["auc"], "epochs_run": result.epochs_run,
            "confusion": confusion(probs, sub.test.y, len(sub.class_names))}


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
        f"{g} {v}" for g, v in bkg["adc2021_composition_percent"].items()) + f" ({bkg['adc2021_source']})")
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
    # The same figures beside every ADC2021 baseline a public source pins, with what each of them measured.
    from edgenn.datasets.adc2021_baselines import ADC2021_BASELINES, comparison_table

    print("beside ADC2021 baselines (public sources; their setups differ from edgenn's, see each source line):")
    print("\n".join(comparison_table({r["label"]: r["signals"] for r in results.values()}, signals, fpr)))
    results["adc2021_baselines"] = [dataclasses.asdict(b) for b in ADC2021_BASELINES]
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
    parser.add_argument("--epochs", type=int, default=200,
                        help="epoch ceiling (early stopping ends the training; the recipe's cap is 40)")
    parser.add_argument("--curve", type=float, nargs="*", default=[],
                        help="also train on these fractions (0 < F < 1) of the training jets, same test jets")
    parser.add_argument("--results", type=Path, default=Path(__file__).resolve().parent / "results"
                        / "physics_validation", help="directory for the result JSON (jets<N>.json)")
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
    recipe = baseline_recipe(args.data, "physics_validation", args.epochs)
    train_dir = args.run / f"jets{5 * n}" / "train"
    if not (train_dir / "manifest.json").is_file():  # resumable: a finished baseline of this size is reused
        edgenn.train(recipe, out=train_dir, report=False)
    test = trained_test_figures(train_dir)
    from edgenn.io import atomic_write_json

    result = {"jets_per_class": n, "jets": 5 * n, "definition": args.definition, "fast": args.fast,
              "command": "python benchmarks/physics_validation.py " + " ".join(sys.argv[1:]),
              **test, "curve": [], "published": PUBLISHED}
    args.results.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.results / f"jets{5 * n}.json", result)  # each point is kept as it arrives
    curve = result["curve"]
    for fraction in sorted(f for f in args.curve if 0 < f < 1):
        curve.append(learning_curve_point(recipe, fraction))
        atomic_write_json(args.results / f"jets{5 * n}.json", result)
    order = ("g", "q", "t", "W", "Z")
    print(f"jets: {5 * n} ({n} per class, definition {args.definition}, MPI {'off' if args.fast else 'on'}); "
          f"data {path}; {test['train_jets']} train / {test['test_jets']} test jets, {test['epochs_run']} epochs")
    print("| | train jets | accuracy | AUC g | AUC q | AUC t | AUC W | AUC Z |")
    print("|---|---|---|---|---|---|---|---|")
    for point in [*curve, {**test, "fraction": 1.0}]:
        print(f"| edgenn ({point['fraction']:g} of train) | {point['train_jets']} | {point['accuracy']:.3f} | "
              + " | ".join(f"{100 * point['auc'][c]:.1f}" for c in order) + " |")
    print(f"| published | ~360k (60 % of ~600k) | {PUBLISHED['accuracy']:.3f} | "
          + " | ".join(f"{100 * PUBLISHED['auc'][c]:.1f}" for c in order) + " |")
    print("confusion (rows true, columns predicted, order " + " ".join(test["class_names"]) + "):")
    for name, row in zip(test["class_names"], test["confusion"]):
        print(f"  {name} [" + " ".join(f"{v:.3f}" for v in row) + "]")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
