"""The train stage: recipe -> trained float model in ``<out>/`` with metrics, plots and a manifest."""

from __future__ import annotations

import time
from pathlib import Path


from edgenn.artifacts import METRICS_FILE, ModelArtifact, write_model_files
from edgenn.config.recipe import Recipe
from edgenn.io import atomic_dir, atomic_write_json
from edgenn.manifest import write_manifest
from edgenn.seeding import stage_seed
from edgenn.training.inputs import PreparedData


def prepared_data(recipe: Recipe, *, standardizer=None, split=None) -> PreparedData:
    from edgenn.architectures.registry import get_family
    from edgenn.training.inputs import prepare

    family = get_family(recipe.model.family)
    return prepare(recipe.data, family.input_kind, stage_seed(recipe.seed, "split"), standardizer=standardizer,
                   split=split)


def evaluate_and_plot(model, data: PreparedData, out: Path, *, label: str, history: dict | None = None) -> dict:
    from edgenn.training.fit import predict
    from edgenn.training.metrics import classifier_metrics
    from edgenn.training.plots import plot_confusion, plot_history, plot_roc, roc_curves

    probs = predict(model, data.test.x)
    metrics = classifier_metrics(probs, data.test.y, data.class_names)
    plot_roc(roc_curves(probs, data.test.y, data.class_names), out / "roc.png", title=f"{label}: ROC on test split")
    plot_confusion(probs, data.test.y, data.class_names, out / "confusion.png")
    if history:
        plot_history(history, out / "history.png")
        atomic_write_json(out / "history.json", history)
    return metrics


def run_training(recipe: Recipe, out_dir: Path, *, progress: bool = True) -> ModelArtifact:
    from edgenn.architectures.registry import get_family
    from edgenn.seeding import seed_everything
    from edgenn.training.fit import fit

    if get_family(recipe.model.family).task == "anomaly":  # background-only training; see training/anomaly.py
        from edgenn.training.anomaly import run_anomaly_training

        return run_anomaly_training(recipe, out_dir, progress=progress)
    t0 = time.perf_counter()
    data = prepared_data(recipe)
    family = get_family(recipe.model.family)
    seed = stage_seed(recipe.seed, "train")
    seed_everything(seed)
    model = family.build(recipe.family_params(), data.train.x.shape[1:], len(data.class_names), None)
    with atomic_dir(out_dir) as staging:
        result = fit(model, data, recipe.train, progress=progress, description=f"train {recipe.name}")
        write_model_files(staging, model, recipe, standardizer=data.standardizer, split=data.split)
        metrics = evaluate_and_plot(model, data, staging, label=recipe.name, history=result.history)
        metrics.update(num_params=int(model.count_params()), epochs_run=result.epochs_run,
                       class_names=list(data.class_names),
                       split_sizes={"train": len(data.train.y), "val": len(data.val.y), "test": len(data.test.y)})
        atomic_write_json(staging / METRICS_FILE, metrics)
        write_manifest(staging, stage="train", recipe=recipe.model_dump(mode="json"),
                       inputs={"dataset": str(data.source)}, seeds={"root": recipe.seed, "train": seed,
                                                                      "split": stage_seed(recipe.seed, "split")},
                       metrics=metrics, timings_s={"fit": result.seconds, "total": time.perf_counter() - t0})
    return ModelArtifact(Path(out_dir), "train", recipe, metrics)


