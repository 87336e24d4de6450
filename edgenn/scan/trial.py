"""One scan (or compare) trial in a worker: recipe variant -> train -> compress -> estimate, written as a run.

A ``TrialWorker`` lives as long as its worker process (or Ray actor) and prepares each dataset once: trials of a scan
share the data settings, so only the first trial of a worker reads and splits the HDF5 file. Each trial writes a
normal run directory (``<trial_dir>/train``, ``<trial_dir>/compress``, each with the ``outputs.npz`` its stage would save)
so ``edgenn export``/``--export-best`` and ``edgenn report`` take it as is, and returns a JSON-able result: figures
with units and methods, per-split metrics, timings.

A trial's result depends only on its job (recipe, split) and the worker's TensorFlow thread count: training is seeded
per stage with op determinism on, so the same job gives the same weights in any process on the same machine.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgenn.config.recipe import Recipe
from edgenn.training.inputs import PreparedData, Split
from edgenn.architectures.registry import family_params


@dataclass(frozen=True)
class FoldSplit:
    """Stratified K-fold re-split of all of a recipe's jets: fold ``fold`` of ``folds`` is the test split."""

    folds: int
    fold: int
    seed: int


@dataclass(frozen=True)
class TrialJob:
    key: str                      # caller's id (trial number, "A/fold3", ...)
    recipe: dict                  # Recipe.model_dump(mode="json"): plain data crosses process boundaries
    trial_dir: str
    split: FoldSplit | None = None


def _data_key(recipe: Recipe) -> str:
    from edgenn.architectures.registry import get_family

    blob = f"{recipe.data.model_dump_json()}|{get_family(recipe.model.family).input_kind}|{recipe.seed}"
    return hashlib.sha256(blob.encode()).hexdigest()


def fold_data(base: PreparedData, split: FoldSplit, val_fraction: float) -> PreparedData:
    """All jets of ``base`` re-split: one stratified fold as test, a stratified ``val_fraction`` of the rest as val.

    The standardiser stays the one fitted on ``base``'s training split: a fixed affine map, identical for both
    models of a comparison, so it cannot favour either.
    """
    from sklearn.model_selection import StratifiedKFold

    from edgenn.training.inputs import stratified_split

    x = np.concatenate([base.train.x, base.val.x, base.test.x])
    y = np.concatenate([base.train.y, base.val.y, base.test.y])
    folds = list(StratifiedKFold(n_splits=split.folds, shuffle=True, random_state=split.seed).split(x, y))
    rest, test = folds[split.fold]
    inner = stratified_split(y[rest], val_fraction, 0.0, split.seed + 1000 * (split.fold + 1))
    tr, va = inner.train, inner.val
    return PreparedData(Split(x[rest[tr]], y[rest[tr]]), Split(x[rest[va]], y[rest[va]]), Split(x[test], y[test]),
                        base.class_names, base.feature_names, base.standardizer, base.source)


def _metrics(model, split: Split, class_names: tuple[str, ...]) -> dict:
    from edgenn.training.fit import predict
    from edgenn.training.metrics import classifier_metrics

    return classifier_metrics(predict(model, split.x), split.y, class_names)


def _quality_figures(metrics: dict, prefix: str = "") -> dict[str, dict]:
    figs = {f"{prefix}accuracy": {"value": metrics["accuracy"], "unit": "fraction", "method": "software"}}
    for cls, auc in metrics["auc"].items():
        figs[f"{prefix}auc.{cls}"] = {"value": auc, "unit": "fraction", "method": "software"}
    for cls, rej in metrics.get("rejection_at_50", {}).items():
        figs[f"{prefix}rejection_at_50.{cls}"] = {"value": rej, "unit": "ratio", "method": "software"}
    return figs


def _test_metrics(model, data: PreparedData, out: Path, stage: str) -> dict:
    """Test-split metrics of ``model``, and its ``outputs.npz`` for the report (``records.stage_outputs``: the same
    record and row caps as the train and compress stages), from one pass over the test split."""
    from edgenn.training.fit import predict
    from edgenn.training.layer_outputs import save_stage_outputs
    from edgenn.training.metrics import classifier_metrics

    probs = predict(model, data.test.x)
    save_stage_outputs(out, model, data.test.x, data.test.y, data.class_names, stage=stage, test_scores=probs)
    return classifier_metrics(probs, data.test.y, data.class_names)


def train_float(recipe: Recipe, data: PreparedData, out_dir: Path):
    """The train stage on prepared in-memory data, without plots; writes a complete ``ModelArtifact`` directory."""
    from edgenn.architectures.registry import get_family
    from edgenn.artifacts import ModelArtifact, ModelFiles
    from edgenn.io import atomic_dir
    from edgenn.seeding import seed_everything, stage_seed
    from edgenn.training.fit import fit

    family = get_family(recipe.model.family)
    seed = stage_seed(recipe.seed, "train")
    seed_everything(seed)
    model = family.build(family_params(recipe), data.train.x.shape[1:], len(data.class_names), None)
    with atomic_dir(out_dir) as staging:
        result = fit(model, data, recipe.train, progress=False, description=f"scan {recipe.name}")
        metrics = _test_metrics(model, data, staging, "train")
        metrics.update(val=_metrics(model, data.val, data.class_names), num_params=int(model.count_params()),
                       epochs_run=result.epochs_run, class_names=list(data.class_names))
        artifact = ModelArtifact(Path(out_dir), "train", recipe, metrics).save(
            staging, ModelFiles(model, data.standardizer, data.split), inputs={"dataset": str(data.source)},
            seeds={"root": recipe.seed, "train": seed}, timings_s={"fit": result.seconds})
    return artifact, model


def compress_trained(recipe: Recipe, trained, model, data: PreparedData, out_dir: Path):
    """The compress stage's passes on in-memory data, without its plots and before/after summaries (they cost more
    than a short fine-tune); writes a complete ``ModelArtifact`` directory that ``edgenn export`` accepts."""
    from edgenn.artifacts import ModelArtifact, ModelFiles
    from edgenn.compression.base import CompressionState
    from edgenn.compression.pipeline import build_passes, fine_tune_spec, run_passes
    from edgenn.io import atomic_dir
    from edgenn.seeding import seed_everything, stage_seed

    passes = build_passes(recipe, trained, progress=False)
    seed = stage_seed(recipe.seed, "compress")
    seed_everything(seed)
    with atomic_dir(out_dir) as staging:
        final, records = run_passes(CompressionState(model=model, data=data, fine_tune=fine_tune_spec(recipe)), passes)
        compressed = final.model
        metrics = _test_metrics(compressed, data, staging, "compress")
        metrics.update(num_params=int(compressed.count_params()), class_names=list(data.class_names))
        artifact = ModelArtifact(Path(out_dir), "compress", recipe, metrics).save(
            staging, ModelFiles(compressed, data.standardizer, data.split),
            inputs={"trained_model": str(trained.model_path), "dataset": str(data.source)},
            seeds={"root": recipe.seed, "compress": seed}, passes=[r.to_dict() for r in records],
            timings_s={r.name: r.seconds for r in records})
    return artifact, compressed


class TrialWorker:
    """Runs trial jobs; caches prepared datasets (a few, keyed by data settings and split seed) for its lifetime."""

    max_cached = 4

    def __init__(self, threads: int | None = None) -> None:
        import os

        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        self._data: dict[str, PreparedData] = {}
        if threads:
            import tensorflow as tf

            # Fixed per worker: the float summation order (hence the exact weights) depends on the thread count.
            try:
                tf.config.threading.set_intra_op_parallelism_threads(threads)
                tf.config.threading.set_inter_op_parallelism_threads(threads)
            except RuntimeError:  # TF already initialised in this process (an in-process worker): keep its setting
                pass

    def data_for(self, recipe: Recipe) -> PreparedData:
        from edgenn.training.stage import prepared_data

        key = _data_key(recipe)
        if key not in self._data:
            if len(self._data) >= self.max_cached:
                self._data.pop(next(iter(self._data)))
            self._data[key] = prepared_data(recipe)
        return self._data[key]

    def run(self, job: TrialJob) -> dict[str, Any]:
        """Run one job; failures a user can cause come back as ``{"error": message}``, not as exceptions."""
        from edgenn.errors import EdgennError

        try:
            return self._run(job)
        except EdgennError as exc:
            return {"key": job.key, "error": str(exc)}

    def _run(self, job: TrialJob) -> dict[str, Any]:
        import tensorflow as tf

        from edgenn.config.load import validate
        from edgenn.scan.estimate import design_estimate, figures_of
        from edgenn.tasks.recipe_check import check_recipe

        t0 = time.perf_counter()
        recipe = check_recipe(validate(Recipe, job.recipe, source=f"trial {job.key}"), source=f"trial {job.key}")
        data = self.data_for(recipe)
        if job.split is not None:
            data = fold_data(data, job.split, recipe.data.val_fraction)
        trial_dir = Path(job.trial_dir)
        tf.keras.backend.clear_session()  # one worker runs many trials: drop the previous graphs
        trained, float_model = train_float(recipe, data, trial_dir / "train")
        t_train = time.perf_counter()
        float_val = trained.metrics["val"]
        final, model = trained, float_model
        if recipe.compress is not None:
            final, model = compress_trained(recipe, trained, float_model, data, trial_dir / "compress")
        t_compress = time.perf_counter()
        val = _metrics(model, data.val, data.class_names)
        test = final.metrics  # the last stage measured this model on the test split when it saved its outputs
        report, bit_exact_expected = design_estimate(model, recipe.export.fpga, data.train.x)
        t_estimate = time.perf_counter()
        figures = {**_quality_figures(val), **_quality_figures(test, "test_"), **figures_of(report),
                   "accuracy_drop": {"value": float_val["accuracy"] - val["accuracy"], "unit": "fraction",
                                     "method": "software"},
                   "num_params": {"value": int(model.count_params()), "unit": "count", "method": "software"}}
        return {
            "key": job.key, "figures": figures, "bit_exact_expected": bool(bit_exact_expected),
            "labels_sha256": hashlib.sha256(np.ascontiguousarray(data.test.y).tobytes()).hexdigest(),
            "run_dir": str(trial_dir),
            "seconds": {"train": t_train - t0, "compress": t_compress - t_train, "estimate": t_estimate - t_compress,
                        "total": t_estimate - t0},
        }
